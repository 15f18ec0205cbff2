package safefile

import "testing"

// The daemon persists stamps: the function must give the same value in every
// release, and tell apart versions that differ in any one field.
func TestStamp(t *testing.T) {
	v := Version{Size: 1234, ModTime: 1_764_000_000_123_456_789, ChangeTime: 1_764_000_000_223_456_789, Ino: 987654}
	const golden = Stamp(0x21e27535d43735a1)
	if got := v.Stamp(); got != golden {
		t.Errorf("Stamp(%+v) = %#x, want %#x: the persisted file index would be read wrong", v, uint64(got), uint64(golden))
	}
	seen := map[Stamp]Version{}
	for _, w := range []Version{
		v, {}, {Size: 1}, {ModTime: 1}, {ChangeTime: 1}, {Ino: 1},
		{Size: v.Size + 1, ModTime: v.ModTime, ChangeTime: v.ChangeTime, Ino: v.Ino},
		{Size: v.Size, ModTime: v.ModTime + 1, ChangeTime: v.ChangeTime, Ino: v.Ino},
		{Size: v.Size, ModTime: v.ModTime, ChangeTime: v.ChangeTime + 1, Ino: v.Ino},
		{Size: v.Size, ModTime: v.ModTime, ChangeTime: v.ChangeTime, Ino: v.Ino + 1},
		// Fields swapped: the same numbers in other places.
		{Size: 1, ModTime: 2, ChangeTime: 3, Ino: 4}, {Size: 2, ModTime: 1, ChangeTime: 3, Ino: 4},
		{Size: 1, ModTime: 3, ChangeTime: 2, Ino: 4}, {Size: 4, ModTime: 2, ChangeTime: 3, Ino: 1},
	} {
		s := w.Stamp()
		if s&^StampBits != 0 {
			t.Errorf("Stamp(%+v) = %#x uses the top bits", w, uint64(s))
		}
		if o, dup := seen[s]; dup {
			t.Errorf("Stamp(%+v) = Stamp(%+v)", w, o)
		}
		seen[s] = w
	}
}
