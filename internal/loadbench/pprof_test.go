package loadbench

// A reader of the pprof profile format (profile.proto, gzipped) small
// enough to need no dependency: github.com/google/pprof is not in the
// module graph, and the harness needs only samples, their stacks (function
// names, inlined frames expanded) and their string labels.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// profSample is one sample: its stack, leaf first, one entry per frame
// (inlined calls expanded), the address of each location (for matching
// the same stack across two profiles of one process), its values in the
// order of profile.types, and its string labels.
type profSample struct {
	frames []string
	addrs  []uint64
	values []int64
	labels map[string]string
}

// profile is a decoded profile.
type profile struct {
	types   []string // sample type names ("samples", "cpu", "alloc_space", ...)
	units   []string
	samples []profSample
}

// valueIndex returns the index of the sample type named t, or -1.
func (p *profile) valueIndex(t string) int {
	for i, n := range p.types {
		if n == t {
			return i
		}
	}
	return -1
}

// stackKey identifies a sample's stack within one process.
func (s profSample) stackKey() string {
	var b strings.Builder
	for _, a := range s.addrs {
		fmt.Fprintf(&b, "%x/", a)
	}
	// Locations without addresses (rare): the frame names.
	if len(s.addrs) == 0 {
		b.WriteString(strings.Join(s.frames, "/"))
	}
	return b.String()
}

// parseProfile decodes a gzipped (or plain) profile.proto.
func parseProfile(data []byte) (*profile, error) {
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	type rawSample struct {
		locs   []uint64
		values []int64
		labels [][2]int64 // key, str (string table indexes)
	}
	type rawLine struct{ fn uint64 }
	type rawLoc struct {
		addr  uint64
		lines []rawLine
	}
	var (
		strs      []string
		types     [][2]int64
		samples   []rawSample
		locs      = map[uint64]rawLoc{}
		functions = map[uint64]int64{} // id -> name index
	)
	err := walkFields(data, func(field int, wire int, v uint64, b []byte) error {
		switch field {
		case 1: // sample_type
			var vt [2]int64
			err := walkFields(b, func(f, w int, v uint64, _ []byte) error {
				if f == 1 || f == 2 {
					vt[f-1] = int64(v)
				}
				return nil
			})
			types = append(types, vt)
			return err
		case 2: // sample
			var s rawSample
			err := walkFields(b, func(f, w int, v uint64, bb []byte) error {
				switch f {
				case 1:
					return packed(w, v, bb, func(x uint64) { s.locs = append(s.locs, x) })
				case 2:
					return packed(w, v, bb, func(x uint64) { s.values = append(s.values, int64(x)) })
				case 3:
					var l [2]int64
					err := walkFields(bb, func(f, w int, v uint64, _ []byte) error {
						if f == 1 || f == 2 {
							l[f-1] = int64(v)
						}
						return nil
					})
					s.labels = append(s.labels, l)
					return err
				}
				return nil
			})
			samples = append(samples, s)
			return err
		case 4: // location
			var id uint64
			var loc rawLoc
			err := walkFields(b, func(f, w int, v uint64, bb []byte) error {
				switch f {
				case 1:
					id = v
				case 3:
					loc.addr = v
				case 4:
					var ln rawLine
					err := walkFields(bb, func(f, w int, v uint64, _ []byte) error {
						if f == 1 {
							ln.fn = v
						}
						return nil
					})
					loc.lines = append(loc.lines, ln)
					return err
				}
				return nil
			})
			locs[id] = loc
			return err
		case 5: // function
			var id uint64
			var name int64
			err := walkFields(b, func(f, w int, v uint64, _ []byte) error {
				switch f {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			functions[id] = name
			return err
		case 6: // string_table
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i int64) string {
		if i < 0 || int(i) >= len(strs) {
			return ""
		}
		return strs[i]
	}
	p := &profile{}
	for _, t := range types {
		p.types = append(p.types, str(t[0]))
		p.units = append(p.units, str(t[1]))
	}
	for _, rs := range samples {
		s := profSample{values: rs.values}
		for _, id := range rs.locs {
			loc := locs[id]
			s.addrs = append(s.addrs, loc.addr)
			// A location's lines run from the innermost inlined call out.
			for _, ln := range loc.lines {
				s.frames = append(s.frames, str(functions[ln.fn]))
			}
		}
		for _, l := range rs.labels {
			if s.labels == nil {
				s.labels = map[string]string{}
			}
			s.labels[str(l[0])] = str(l[1])
		}
		p.samples = append(p.samples, s)
	}
	return p, nil
}

// walkFields calls fn for each field of a protobuf message: for varints v
// is the value, for length-delimited fields b is the payload.
func walkFields(data []byte, fn func(field, wire int, v uint64, b []byte) error) error {
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("pprof: bad field key")
		}
		data = data[n:]
		field, wire := int(key>>3), int(key&7)
		var v uint64
		var b []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(data)
			if n <= 0 {
				return errors.New("pprof: bad varint")
			}
			data = data[n:]
		case 1:
			if len(data) < 8 {
				return errors.New("pprof: short fixed64")
			}
			v = binary.LittleEndian.Uint64(data)
			data = data[8:]
		case 2:
			l, n := binary.Uvarint(data)
			if n <= 0 || uint64(len(data)-n) < l {
				return errors.New("pprof: bad length")
			}
			b = data[n : n+int(l)]
			data = data[n+int(l):]
		case 5:
			if len(data) < 4 {
				return errors.New("pprof: short fixed32")
			}
			v = uint64(binary.LittleEndian.Uint32(data))
			data = data[4:]
		default:
			return fmt.Errorf("pprof: wire type %d", wire)
		}
		if err := fn(field, wire, v, b); err != nil {
			return err
		}
	}
	return nil
}

// packed reads a repeated varint field, packed or not.
func packed(wire int, v uint64, b []byte, add func(uint64)) error {
	if wire == 0 {
		add(v)
		return nil
	}
	for len(b) > 0 {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("pprof: bad packed varint")
		}
		add(x)
		b = b[n:]
	}
	return nil
}
