// Package engine is layerlab's image engine: everything about images, and nothing about
// HTTP, SQL or HTML. Its sub-packages, in the order a build uses them:
//
//   - dockerfile parses a Dockerfile (with moby/buildkit's parser) into instructions
//     that keep their source lines.
//   - build is the builder. It runs one step per instruction, as Docker's classic
//     builder does. Before running a step it asks the store for a cached image: a child
//     of the current image whose container config (the step's command, environment,
//     labels, ports, volumes, entrypoint, user) is the same. On a hit the build moves to
//     that image; on a miss it runs the step and commits a new image whose parent is the
//     current one. Because every later step's parent is then new, the first miss makes
//     every later step a miss: "the changed layer and all the layers after it".
//     Each step ends in a state (cached, changed, downstream, new) with a reason.
//   - rootfs holds a step's filesystem in memory; the difference between two snapshots
//     is a layer: a tar of what was added or changed, with OCI whiteouts for deletions.
//     Its sha256 is the layer's diffID; the sha256 of the image's config JSON is the
//     image ID, so identical inputs give identical IDs.
//   - sandbox runs RUN steps: a shell interpreter (mvdan.cc/sh) over the snapshot, with
//     every command written in Go. Nothing runs on the host. Its package managers read
//     their archives as data: sandbox/catalog has the system packages (Debian and
//     Ubuntu, Alpine, Fedora/EL/Amazon Linux, per release), sandbox/langcatalog the
//     language registries (PyPI, npm, RubyGems, Packagist); a valid name neither knows
//     is synthesized from its name, a near-miss of a known name is refused as a typo:
//     sandbox/typo measures how near, for both catalogs.
//     Build tools write artefacts whose bytes follow the files they read (outputs.go).
//   - baseimage has the built-in stand-ins of the official images, described as data:
//     families with version lines, tag forms and distro windows, so any tag of the
//     last years resolves (the playground has no network, so FROM cannot download real
//     images); its Catalog lists them.
//   - standin makes a stand-in's layers generated content: known by diffID and size from
//     a recipe fingerprint (an embedded table that standin/gen writes, `go generate
//     ./engine/standin`), their bytes made only when read, streamed and verified.
//   - image has the image JSON, history and references; image/validate checks the
//     invariants every image keeps (config digest = image ID, each layer hashes to its
//     diffID, one history row per non-empty layer), and the tests of every package that
//     makes or moves images run it.
//
// After a build, the images are looked at and moved:
//
//   - changes reads an image's layers in order and tells what each one added, modified
//     and deleted, and how many bytes the image ships that its final filesystem never
//     shows (wasted space), as the tool dive does.
//   - commands is the docker command set (images, history, inspect, tag, rmi, prune,
//     save, load, search ...): an argument vector in, Docker 20.10's exact output out.
//     The command line and the web terminal both run it; commands/lesson holds the
//     lesson's commands with their expected output, which both are tested against.
//   - archive writes docker-archives (`docker save`) and reads them and OCI layouts
//     (`docker load`); archive/archivetest writes archives for its tests.
//   - layertar checks layer tars from outside (an archive `load` reads, a registry's
//     blobs): names, limits, trailing bytes, gzip bombs, and the stack replayed
//     through rootfs.Apply. Its Limits are the one set of bounds load and pull share.
//   - bufpipe is a buffered pipe that lets a reader and a writer of a layer's bytes
//     work on different cores (loading archives, pushing layers).
//
// The engine declares what it needs from a store (build.Store); package db implements it
// over SQLite, and build/buildtest in memory for the engine's own tests. Pulling and
// pushing over HTTP live outside the engine, in package remote.
package engine
