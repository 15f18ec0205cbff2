package pathmap

import (
	"iter"
	"strings"
)

// Map maps relative paths ("dir/sub/name.md", "name.md") to values of V. The
// zero Map is empty and ready to use.
type Map[V comparable] struct {
	dirs map[string]map[string]V // dir ("" for the top) → name → value
	n    int
}

// Split cuts rel into its directory ("" at the top) and name, both sharing
// rel's bytes.
func Split(rel string) (dir, name string) {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i], rel[i+1:]
	}
	return "", rel
}

// Join is the inverse of Split.
func Join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Get returns the value of rel.
func (m *Map[V]) Get(rel string) (V, bool) {
	d, n := Split(rel)
	return m.GetIn(d, n)
}

// GetIn returns the value of name in directory dir.
func (m *Map[V]) GetIn(dir, name string) (V, bool) {
	v, ok := m.dirs[dir][name]
	return v, ok
}

// Set records v for rel and reports whether that changed anything. The map
// keeps copies of rel's parts, never rel itself: a substring as a key would
// keep the whole string alive.
func (m *Map[V]) Set(rel string, v V) bool {
	d, n := Split(rel)
	names := m.dirs[d]
	if old, ok := names[n]; ok {
		if old == v {
			return false
		}
	} else {
		m.n++
	}
	if names == nil {
		if m.dirs == nil {
			m.dirs = map[string]map[string]V{}
		}
		names = map[string]V{}
		m.dirs[strings.Clone(d)] = names
	}
	// An assignment replaces the key too: a copy even when one is there.
	names[strings.Clone(n)] = v
	return true
}

// Delete forgets rel and reports whether it was there.
func (m *Map[V]) Delete(rel string) bool {
	d, n := Split(rel)
	return m.DeleteIn(d, n)
}

// DeleteIn forgets name in directory dir and reports whether it was there.
// It may be called while ranging over the map.
func (m *Map[V]) DeleteIn(dir, name string) bool {
	names := m.dirs[dir]
	if _, ok := names[name]; !ok {
		return false
	}
	delete(names, name)
	if len(names) == 0 {
		delete(m.dirs, dir)
	}
	m.n--
	return true
}

// Len returns the number of paths.
func (m *Map[V]) Len() int { return m.n }

// Clear forgets every path.
func (m *Map[V]) Clear() {
	clear(m.dirs)
	m.n = 0
}

// Dir returns the names of directory dir and their values (nil when it has
// none). The caller must not modify it.
func (m *Map[V]) Dir(dir string) map[string]V { return m.dirs[dir] }

// Dirs yields every directory that holds a path, in no particular order.
func (m *Map[V]) Dirs() iter.Seq[string] {
	return func(yield func(string) bool) {
		for d := range m.dirs {
			if !yield(d) {
				return
			}
		}
	}
}

// Range calls fn with every path's directory, name and value, in no
// particular order, until fn returns false. fn may call DeleteIn.
func (m *Map[V]) Range(fn func(dir, name string, v V) bool) {
	for d, names := range m.dirs {
		for n, v := range names {
			if !fn(d, n, v) {
				return
			}
		}
	}
}
