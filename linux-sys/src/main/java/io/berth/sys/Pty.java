package io.berth.sys;

/** A pseudo-terminal: the master's descriptor (the parent's end) and the slave's path (the child's). */
public record Pty(int master, String slave) {}
