package validate

import "errors"

// The invariants Image checks. Each violation it reports wraps one of these (some wrap
// two: a layer out of order is ErrDiffID and ErrLayerOrder), so a test can ask with
// errors.Is which invariant broke; the message names the image and the layer.
var (
	// ErrUnavailable is what a Source returns when it does not hold a blob by design
	// (a store that keeps only uncompressed layers has no compressed blob): the check
	// that needs it is skipped. It is never reported as a violation.
	ErrUnavailable = errors.New("not held by this source")

	// ErrConfigDigest: the config's sha256 is not the image ID.
	ErrConfigDigest = errors.New("config digest is not the image ID")
	// ErrConfig: the config cannot be read or does not decode.
	ErrConfig = errors.New("config does not decode")
	// ErrRootFS: rootfs.type is not "layers".
	ErrRootFS = errors.New(`rootfs type is not "layers"`)
	// ErrDiffIDs: the config's rootfs.diff_ids are not the image's layers, one per
	// layer in order (a count that differs, a layer recorded under another diff ID, a
	// diff ID that is not a digest).
	ErrDiffIDs = errors.New("rootfs.diff_ids do not list the layers")
	// ErrLayerOrder: a layer's content is another position's diff ID.
	ErrLayerOrder = errors.New("layers out of order")
	// ErrDiffID: a layer's uncompressed bytes do not hash to its diff ID.
	ErrDiffID = errors.New("layer does not hash to its diff ID")
	// ErrLayerSize: a layer's uncompressed byte count is not its recorded size.
	ErrLayerSize = errors.New("layer size is not its recorded size")
	// ErrLayerTar: a layer is not a tar, or names one path twice.
	ErrLayerTar = errors.New("layer is not a well-formed tar")
	// ErrDigest: a compressed blob does not hash to its digest.
	ErrDigest = errors.New("compressed blob does not hash to its digest")
	// ErrCompressedSize: a compressed blob's byte count is not its recorded size.
	ErrCompressedSize = errors.New("compressed blob size is not its recorded size")
	// ErrCompressed: a compressed blob does not decompress (it is not gzip, or is cut).
	ErrCompressed = errors.New("compressed blob does not decompress")
	// ErrMissingBlob: a blob the image needs cannot be opened, or the source holds no
	// bytes at all of a layer.
	ErrMissingBlob = errors.New("blob missing")
	// ErrHistory: the history rows with empty_layer false are not one per layer.
	ErrHistory = errors.New("history does not have one row per layer")
	// ErrSize: the image's reported size is not the sum of its layers' sizes.
	ErrSize = errors.New("image size is not the sum of its layer sizes")
	// ErrManifest: the manifest does not decode, or is not schema version 2.
	ErrManifest = errors.New("manifest does not decode")
	// ErrManifestDigest: the manifest's bytes are not the digest or size it is named by.
	ErrManifestDigest = errors.New("manifest is not the digest it is named by")
	// ErrMediaType: a manifest, config or layer media type is not one of the known ones
	// for the manifest's kind (OCI or Docker schema 2), or the manifest says another
	// media type than the one it was served as.
	ErrMediaType = errors.New("unknown media type")
	// ErrConfigDescriptor: the manifest's config descriptor is not the config's digest
	// and size.
	ErrConfigDescriptor = errors.New("config descriptor does not match the config")
	// ErrLayerDescriptor: the manifest's layer descriptors are not the image's layers,
	// one for one.
	ErrLayerDescriptor = errors.New("layer descriptor does not match the layer")
)
