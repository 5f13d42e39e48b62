package io.berth.cri.rules;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stop signals as images and the CRI spell them, turned into the number runc's kill is given:
 * runc looks names up in a table of the canonical names of 1-31 only, so SIGRTMIN+3 (systemd
 * images), SIGCLD or SIGIOT failed every graceful stop while a number always works.
 */
public final class Signals {
  private static final int RTMIN = 34;
  private static final int RTMAX = 64;
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,2}");
  private static final Pattern REALTIME = Pattern.compile("RTM(IN|AX)(?:(\\+|-|PLUS|MINUS)([0-9]{1,2}))?");
  private static final Map<String, Integer> NAMED = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
      Map.entry("QUIT", 3), Map.entry("ILL", 4), Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6),
      Map.entry("BUS", 7), Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11),
      Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
      Map.entry("STKFLT", 16), Map.entry("CHLD", 17), Map.entry("CLD", 17), Map.entry("CONT", 18),
      Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22),
      Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26),
      Map.entry("PROF", 27), Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("POLL", 29),
      Map.entry("PWR", 30), Map.entry("SYS", 31));

  private Signals() {}

  /**
   * The signal's number on Linux: a name in any case with or without "SIG", SIGRTMIN+n and
   * SIGRTMAX-n (also as the CRI enum spells them, RTMINPLUSn), or a number from 1 to 64.
   */
  public static OptionalInt number(String signal) {
    String name = signal.toUpperCase(Locale.ROOT);
    name = name.startsWith("SIG") ? name.substring(3) : name;
    if (NUMBER.matcher(name).matches()) {
      return inRange(Integer.parseInt(name), 1, RTMAX);
    }
    Matcher realtime = REALTIME.matcher(name);
    if (realtime.matches()) {
      int base = realtime.group(1).equals("IN") ? RTMIN : RTMAX;
      int offset = realtime.group(3) == null ? 0 : Integer.parseInt(realtime.group(3));
      boolean up = realtime.group(2) == null || realtime.group(2).equals("+") || realtime.group(2).equals("PLUS");
      return inRange(up ? base + offset : base - offset, RTMIN, RTMAX);
    }
    Integer named = NAMED.get(name);
    return named == null ? OptionalInt.empty() : OptionalInt.of(named);
  }

  private static OptionalInt inRange(int value, int min, int max) {
    return value >= min && value <= max ? OptionalInt.of(value) : OptionalInt.empty();
  }
}
