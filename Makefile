# berth: two commands matter. `make run` serves CRI on /run/berth/berth.sock; `make test`
# installs what is missing, builds and runs every test. See README.md.
SHELL := /bin/bash
JAVA_HOME := /usr/lib/jvm/temurin-25-jdk-amd64
export JAVA_HOME
MVN := mvn -B -ntp -Dstyle.color=never
# berthd's heap: live data is ~15 MB and bursts (pulls) are bounded. Free heap goes back to
# the OS after a collection (at once, not in steps; berthd's HeapTrimmer runs one after a burst)
# instead of staying resident, and a small young generation keeps the garbage of kubelet polling
# from piling up. One Netty buffer arena instead of one per core pair: berthd's traffic is small
# messages on a unix socket, and each arena keeps MBs of direct memory resident. The JVM trims
# glibc's heap every 5 s (~1 ms each): what the C2 compiler's arenas freed after a burst of
# compiles stays resident otherwise (20 pods, `make bench`: berthd ~186 -> ~161 MB RSS).
BERTHD_JAVA_OPTS := -Xmx256m -Xmn12m -XX:MinHeapFreeRatio=5 -XX:MaxHeapFreeRatio=20 -XX:-ShrinkHeapInSteps \
                    -XX:TrimNativeHeapInterval=5000 \
                    -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1

# What berth's tests and benchmark drive for real (Debian 12 package names).
DEB_PACKAGES := runc crun conmon catatonit containernetworking-plugins docker-registry skopeo \
                umoci busybox-static iproute2 iptables containerd apache2-utils zstd maven

LAUNCHER := cri-server/src/main/launcher/launcher.sh

.PHONY: all deps build run test unit-test integration-test bench clean

all: build

## deps: apt-get install (as root) the Debian packages that are missing; idempotent.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $$missing \
	    || { apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; }; \
	else echo "deps: all present"; fi
	@test -x $(JAVA_HOME)/bin/java || { echo "deps: Java 25 is expected at $(JAVA_HOME)"; exit 1; }

## build: compile every module and leave bin/berthd and bin/berthctl.
build:
	$(MVN) -q install -DskipTests
	@mkdir -p bin
	@sed -e 's/@MAIN@/io.berth.cri.Berthd/' -e 's/@NAME@/berthd/' -e 's/@JAVA_OPTS@/$(BERTHD_JAVA_OPTS)/' $(LAUNCHER) > bin/berthd
	@# berthctl lives for one call: the C1 compiler alone starts it fastest.
	@sed -e 's/@MAIN@/io.berth.cri.ctl.Berthctl/' -e 's/@NAME@/berthctl/' -e 's/@JAVA_OPTS@/-XX:TieredStopAtLevel=1/' $(LAUNCHER) > bin/berthctl
	@chmod 0755 bin/berthd bin/berthctl
	@cri-server/src/main/launcher/train-aot.sh

bin/berthd:
	$(MAKE) build

## run: berthd in the foreground on its built-in defaults (root required).
run: bin/berthd
	exec bin/berthd

## test: deps, build, then every test: the unit tests (surefire) and the root-only ones (failsafe:
## tests tagged "root" in each module, and all of integration-tests against bin/berthd).
test: deps build
	$(MVN) verify -Dberth.home=$(CURDIR)

## unit-test: the tests that need no root (mvn test leaves out those tagged "root"); runs anywhere.
unit-test:
	$(MVN) test -pl '!integration-tests'

## integration-test: only the end-to-end tests against bin/berthd (root). One class:
## mvn verify -pl integration-tests -Dberth.home=$PWD -Dit.test=Name
integration-test: build
	$(MVN) verify -pl integration-tests -Dberth.home=$(CURDIR)

## bench: the same CRI calls against berthd and Debian's containerd; prints medians and ratios.
bench: deps build
	$(MVN) -q test-compile exec:java -pl integration-tests -Dberth.home=$(CURDIR) \
	  -Dexec.mainClass=io.berth.it.bench.SideBySideBench -Dexec.classpathScope=test

clean:
	$(MVN) -q clean
	rm -rf bin
