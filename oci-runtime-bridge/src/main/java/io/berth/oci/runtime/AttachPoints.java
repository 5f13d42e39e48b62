package io.berth.oci.runtime;

import java.nio.file.Path;

/** Where a client reaches a container's stdio: the monitor's attach socket and its control FIFO (resize). */
public record AttachPoints(Path socket, Path controlFifo) {}
