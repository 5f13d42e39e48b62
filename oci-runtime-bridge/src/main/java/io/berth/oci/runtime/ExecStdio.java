package io.berth.oci.runtime;

/**
 * How an exec'd command's stdio are connected: pipes (stdin one only if {@code stdin}), or the
 * terminal whose slave is at {@code terminal} (null: no terminal).
 */
public record ExecStdio(boolean stdin, String terminal) {}
