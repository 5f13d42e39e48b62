package io.berth.cri.steps;

/**
 * Named points in multi-step operations where tests make berthd die at once, as kill -9 would:
 * set {@code BERTH_TEST_CRASH_AT=<point>} in berthd's environment. Recovery must then clean up
 * whatever the operation had made so far. Unset (always, in production) it costs one comparison.
 */
public final class CrashPoints {
  private static final String ARMED = System.getenv("BERTH_TEST_CRASH_AT");

  private CrashPoints() {}

  public static void reach(String point) {
    if (ARMED != null && ARMED.equals(point)) {
      System.err.println("berthd: crashing at " + point + " (BERTH_TEST_CRASH_AT)");
      Runtime.getRuntime().halt(137);
    }
  }
}
