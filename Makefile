# berth: two commands matter. `make run` serves CRI on /run/berth/berth.sock; `make test`
# installs what is missing, builds and runs every test. See README.md.
SHELL := /bin/bash
JAVA_HOME := /usr/lib/jvm/temurin-25-jdk-amd64
export JAVA_HOME
MVN := mvn -B -ntp -Dstyle.color=never
# berthd's heap: live data is ~15 MB and bursts (pulls) are bounded. Free heap goes back to
# the OS after a collection (at once, not in steps; berthd's HeapTrimmer runs one after a burst)
# instead of staying resident, and a small young generation keeps the garbage of kubelet polling
# from piling up: all of it is touched between collections, so it is resident (6 MB instead of
# 12: idle berthd 96.9 -> 92.2 MB PSS). One Netty buffer arena instead of one per core pair:
# berthd's traffic is small messages on a unix socket, and each arena keeps MBs of direct memory
# resident. The JVM trims glibc's heap every 5 s (~1 ms each): what the C2 compiler's arenas
# freed after a burst of compiles stays resident otherwise (20 pods, `make bench`: berthd
# ~186 -> ~161 MB RSS). slf4j is bound to logback by name (BerthLogProvider), not found through
# ServiceLoader, which opens every jar of the class path on the way (~50 ms of the start).
# The C1 compiler only: C2's compiler threads took one of a small node's cores through start-up,
# recovery and the first pod, and its code and arenas stayed resident (`make bench`'s memory group:
# start to serving 689 -> 526 ms, first pod 1277 -> 909 ms, berthd with 100 pods 112.9 -> 102.3 MB
# PSS). SHA-256, the one hot loop C1 leaves slow, is libcrypto's (io.berth.sys.Sha256).
BERTHD_JAVA_OPTS := -XX:TieredStopAtLevel=1 \
                    -Xmx256m -Xmn6m -XX:MinHeapFreeRatio=5 -XX:MaxHeapFreeRatio=20 -XX:-ShrinkHeapInSteps \
                    -XX:TrimNativeHeapInterval=5000 \
                    -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
                    -Dslf4j.provider=io.berth.cri.logging.BerthLogProvider -Dslf4j.internal.verbosity=WARN

# What berth's tests and benchmark drive for real (Debian 12 package names).
DEB_PACKAGES := runc crun conmon catatonit containernetworking-plugins docker-registry skopeo \
                umoci busybox-static iproute2 libssl3 iptables containerd apache2-utils zstd maven \
                debootstrap qemu-system-x86 qemu-utils
# The cgroup v2 / systemd tests in a qemu guest (io.berth.it.vm) are part of make test; VM=false
# leaves them out (make vm-test runs them alone).
VM ?= true

LAUNCHER := cri-server/src/main/launcher/launcher.sh
# berthctl lives for one call: the C1 compiler alone starts it fastest.
BERTHCTL_JAVA_OPTS := -XX:TieredStopAtLevel=1
# $(call launcher,MAIN,NAME,JAVA_OPTS,JARDIR,RETRAIN): a launcher from the one template; JARDIR is
# where the jars are relative to the launcher's parent directory, RETRAIN what trains a new cache.
launcher = sed -e 's|@MAIN@|$(1)|' -e 's|@NAME@|$(2)|' -e 's|@JAVA_OPTS@|$(3)|' -e 's|@JARDIR@|$(4)|' \
             -e 's|@RETRAIN@|$(5)|' $(LAUNCHER)

# make install: PREFIX (default /usr/local) and DESTDIR as usual. The unit goes where systemd
# looks: /lib/systemd/system for PREFIX=/usr (the package), else PREFIX/lib/systemd/system
# (systemd reads /usr/local/lib/systemd/system; for another PREFIX pass UNITDIR=/etc/systemd/system).
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# The Maven project's version; Debian's "~" sorts a snapshot before its release.
VERSION := $(shell sed -n 's|^  <version>\(.*\)</version>|\1|p' pom.xml | head -n 1)
DEB_VERSION := $(subst -,~,$(VERSION))
DEB := target/berth_$(DEB_VERSION)_amd64.deb
# The jars and the runtime's modules are compressed already: xz's default level (-6) makes the
# package 3 % smaller than -1 and takes four times as long (~90 s against ~20 s here).
DEB_COMPRESS ?= -Zxz -z1

.PHONY: all deps build run test unit-test integration-test bench clean install uninstall deb
.PHONY: vm-image vm-test grpc-floor

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
	@$(call launcher,io.berth.cri.Berthd,berthd,$(BERTHD_JAVA_OPTS),cri-server/target,make build) > bin/berthd
	@$(call launcher,io.berth.cri.ctl.Berthctl,berthctl,$(BERTHCTL_JAVA_OPTS),cri-server/target,make build) > bin/berthctl
	@chmod 0755 bin/berthd bin/berthctl
	@cri-server/src/main/launcher/train-aot.sh

bin/berthd:
	$(MAKE) build

## run: berthd in the foreground on its built-in defaults (root required).
run: bin/berthd
	exec bin/berthd

## test: deps, build, then every test: the unit tests (surefire) and the root-only ones (failsafe:
## tests tagged "root" in each module, and all of integration-tests against bin/berthd), with the
## VM tests (a Debian guest on cgroup v2 and systemd; VM=false leaves them out).
test: deps build
	$(MVN) verify -Dberth.home=$(CURDIR) -Dberth.vm=$(VM)

## unit-test: the tests that need no root (mvn test leaves out those tagged "root"); runs anywhere.
unit-test:
	$(MVN) test -pl '!integration-tests'

## integration-test: only the end-to-end tests against bin/berthd (root). One class:
## mvn verify -pl integration-tests -Dberth.home=$PWD -Dit.test=Name
integration-test: build
	$(MVN) verify -pl integration-tests -Dberth.home=$(CURDIR)

## bench: the same CRI calls against berthd and Debian's containerd; prints medians and ratios.
bench: deps grpc-floor
	$(MVN) -q exec:java -pl integration-tests -Dberth.home=$(CURDIR) \
	  -Dberth.bench.floor=$(CURDIR)/$(FLOOR)/bin/grpc-floor \
	  -Dexec.mainClass=io.berth.it.bench.SideBySideBench -Dexec.classpathScope=test

## grpc-floor: make bench's floor in target/grpc-floor: a grpc-java server on berthd's jars that
## answers Version only (io.berth.it.bench.GrpcFloorServer), with a launcher made from berthd's
## template (berthd's JVM flags) and an AOT cache trained by the same script.
FLOOR := target/grpc-floor
grpc-floor: build
	$(MVN) -q test-compile -pl integration-tests
	@rm -rf $(FLOOR) && mkdir -p $(FLOOR)/bin $(FLOOR)/jars/lib
	@ln -s $(CURDIR)/cri-server/target/cri-server.jar $(CURDIR)/cri-server/target/native $(FLOOR)/jars/
	@ln -s $(CURDIR)/cri-server/target/lib/*.jar $(FLOOR)/jars/lib/
	@cd integration-tests/target/test-classes && \
	  $(JAVA_HOME)/bin/jar cf $(CURDIR)/$(FLOOR)/jars/lib/grpc-floor.jar io/berth/it/bench/GrpcFloorServer*.class
	@$(call launcher,io.berth.it.bench.GrpcFloorServer,grpc-floor,$(BERTHD_JAVA_OPTS),jars,make bench) \
	  > $(FLOOR)/bin/grpc-floor
	@chmod 0755 $(FLOOR)/bin/grpc-floor && ln -s $(CURDIR)/bin/berthctl $(FLOOR)/bin/berthctl
	@cri-server/src/main/launcher/train-aot.sh $(FLOOR)/bin $(FLOOR)/jars grpc-floor
	@# Without its cache the floor would start in ~1 s and bound nothing: stop here instead.
	@test -f $(FLOOR)/jars/grpc-floor.aot || { echo "grpc-floor: no AOT cache was trained" >&2; exit 1; }

## install: the built jars, launchers, systemd unit, CNI example and a commented
## /etc/berth/config.toml (never overwritten) under DESTDIR/PREFIX, with an AOT cache trained for
## them; every file is listed in PREFIX/lib/berth/install-manifest. Builds only if nothing is built.
install: bin/berthd
	@mkdir -p target/launchers
	@$(call launcher,io.berth.cri.Berthd,berthd,$(BERTHD_JAVA_OPTS),lib/berth,reinstalling berth) \
	  > target/launchers/berthd
	@$(call launcher,io.berth.cri.ctl.Berthctl,berthctl,$(BERTHCTL_JAVA_OPTS),lib/berth,reinstalling berth) \
	  > target/launchers/berthctl
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' UNITDIR='$(UNITDIR)' VERSION='$(VERSION)' \
	  packaging/install.sh install target/launchers

## uninstall: removes what `make install` listed in its manifest (same DESTDIR and PREFIX); keeps
## /etc/berth/config.toml if the operator changed it, and /var/lib/berth.
uninstall:
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' UNITDIR='$(UNITDIR)' packaging/install.sh uninstall

## deb: target/berth_VERSION_amd64.deb with its own jlinked Java runtime (see packaging/deb/).
deb: bin/berthd
	@VERSION='$(DEB_VERSION)' JAVA_HOME='$(JAVA_HOME)' MAKE='$(MAKE)' DEB_COMPRESS='$(DEB_COMPRESS)' \
	  packaging/deb/build-deb.sh $(DEB)

## vm-image: the Debian 12 systemd/cgroup v2 guest image, built once and cached under
## /var/cache/berth-vm/<key> (BERTH_VM_CACHE); rebuilt when vm/packages.list, vm/build-image.sh or
## vm/guest/ change. Needs debootstrap, qemu-system-x86 and qemu-utils.
vm-image:
	vm/build-image.sh

## vm-test: the tests in a qemu guest (io.berth.it.vm): berth's package under systemd on cgroup v2.
## Not part of `make test` yet. Builds the image and `make deb` when they are missing or stale.
vm-test: build
	$(MVN) verify -pl integration-tests -Dberth.home=$(CURDIR) -Dberth.vm=true -Dit.test='io.berth.it.vm.*Test'

clean:
	$(MVN) -q clean
	rm -rf bin
