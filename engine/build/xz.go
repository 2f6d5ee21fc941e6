package build

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
)

// ADD extracts a local .tar.xz, as Docker 20.10 does (its archive package runs xz -d);
// zstd came to ADD after 20.10, so a .tar.zst is copied as it is (both recorded by hand
// with a 20.10 daemon). The xz reader allocates the dictionary a block header asks for
// (up to 4 GiB) before reading a byte, and the stream's index says how much it will
// inflate to, so xzPlan reads both from the archive's headers before decompressing.

// xzMagic opens every xz stream.
var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// maxXZDict is the largest LZMA2 dictionary an ADD archive may ask for: xz -9 and
// -9e use 64 MiB, the most its presets ask for.
const maxXZDict = 64 << 20

// errXZLayout is an xz file whose layout xzPlan does not follow (several streams,
// stream padding): refused, not extracted, with a message saying so.
var errXZLayout = errors.New("layerlab extracts xz archives of one stream without padding, as xz writes them; Docker would extract this one too: recompress it with xz")

// xzPlan checks an xz archive's headers: every block's dictionary at most maxXZDict,
// and returns what the index says the data inflates to.
func xzPlan(data []byte) (int64, error) {
	if len(data) < 24 || !bytes.HasPrefix(data, xzMagic) {
		return 0, errXZLayout
	}
	foot := data[len(data)-12:]
	if !bytes.Equal(foot[10:], []byte("YZ")) {
		return 0, errXZLayout
	}
	indexSize := (int64(binary.LittleEndian.Uint32(foot[4:8])) + 1) * 4
	indexStart := int64(len(data)) - 12 - indexSize
	if indexStart < 12 {
		return 0, errXZLayout
	}
	idx := data[indexStart : len(data)-12]
	if len(idx) == 0 || idx[0] != 0 {
		return 0, errXZLayout
	}
	p := 1
	records, ok := uvarint(idx, &p)
	if !ok {
		return 0, errXZLayout
	}
	var total int64
	off := int64(12)
	for range records {
		unpadded, ok1 := uvarint(idx, &p)
		size, ok2 := uvarint(idx, &p)
		if !ok1 || !ok2 || size > 1<<62 || unpadded > 1<<62 {
			return 0, errXZLayout
		}
		if off >= indexStart {
			return 0, errXZLayout
		}
		if err := xzBlockDict(data[off:indexStart]); err != nil {
			return 0, err
		}
		total += int64(size)
		if total < 0 {
			return 0, errXZLayout
		}
		off += (int64(unpadded) + 3) &^ 3
	}
	if off != indexStart {
		return 0, errXZLayout
	}
	return total, nil
}

// xzBlockDict checks the LZMA2 dictionary of the block header at b's start.
func xzBlockDict(b []byte) error {
	if len(b) < 2 || b[0] == 0 {
		return errXZLayout
	}
	hsize := (int(b[0]) + 1) * 4
	if hsize > len(b) {
		return errXZLayout
	}
	h := b[:hsize-4] // without its CRC32
	flags := h[1]
	p := 2
	if flags&0x40 != 0 {
		if _, ok := uvarint(h, &p); !ok {
			return errXZLayout
		}
	}
	if flags&0x80 != 0 {
		if _, ok := uvarint(h, &p); !ok {
			return errXZLayout
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := uvarint(h, &p)
		n, ok2 := uvarint(h, &p)
		if !ok1 || !ok2 || uint64(p)+n > uint64(len(h)) {
			return errXZLayout
		}
		props := h[p : p+int(n)]
		p += int(n)
		if id == 0x21 { // LZMA2
			if len(props) != 1 || props[0] > 40 {
				return errXZLayout
			}
			d := int64(2|props[0]&1) << (props[0]/2 + 11)
			if d > maxXZDict {
				return fmt.Errorf("%w: its LZMA2 dictionary is %s, past layerlab's limit of %s (xz -9 uses 64 MiB; Docker has no limit); compress it with xz -9 or less",
					ErrBudget, sizeText(d), sizeText(maxXZDict))
			}
		}
	}
	return nil
}

// uvarint reads xz's multibyte integer at b[*p:].
func uvarint(b []byte, p *int) (uint64, bool) {
	var v uint64
	for i := 0; i < 9; i++ {
		if *p >= len(b) {
			return 0, false
		}
		c := b[*p]
		*p++
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, true
		}
	}
	return 0, false
}

// xzReader checks data's plan against the build's budget, then opens it.
func xzReader(data []byte, in io.Reader, u *unpackBudget) (io.Reader, error) {
	size, err := xzPlan(data)
	if err != nil {
		return nil, err
	}
	if size > u.left() {
		return nil, fmt.Errorf("its index says it unpacks to %d bytes: %w", size, u.exceeded())
	}
	if size > u.lim.RatioFloor && size > u.lim.MaxRatio*int64(len(data)) {
		return nil, fmt.Errorf("%w: xz data of %d bytes inflates to %d, over %d times its size: layerlab refuses it as a decompression bomb (Docker has no such limit)",
			ErrBudget, len(data), size, u.lim.MaxRatio)
	}
	r, err := xz.ReaderConfig{DictCap: 1 << 20, SingleStream: true}.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("read xz: %w", err)
	}
	return r, nil
}
