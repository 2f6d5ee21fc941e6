-- What layerlab's own gzip of a stored layer is (remote.Compress: deterministic, so
-- the same tar always gives the same blob): its digest and size, recorded when a push
-- has put that blob in a registry, so the next push of the layer asks the registry for
-- it ("Layer already exists") without compressing it again. One row per diff_id,
-- shared by every workspace as the blobs are. A layer pulled from a registry keeps the
-- registry's digest in image_layers; this table never holds it. Not a GC root: the
-- row goes when GC removes the layer's blob.
CREATE TABLE layer_gzip (
	diff_id TEXT PRIMARY KEY,
	digest  TEXT NOT NULL,
	size    INTEGER NOT NULL,
	created TEXT NOT NULL
) STRICT, WITHOUT ROWID;
