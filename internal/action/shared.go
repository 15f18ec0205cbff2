package action

import "sync"

// Shared is state the actions of one configuration share. Built-in actions
// that each read every document (index, catalog) keep one cache of them per
// root here instead of one each: with three indexes and a catalog, a vault's
// front matter is held once, not four times. A configuration reloaded by the
// daemon gets a new Shared, so nothing outlives the actions that use it.
//
// A nil *Shared is valid: Get then makes a value for the caller alone, as
// when an action is built on its own (tests, `scribe test`). Safe for
// concurrent use.
type Shared struct {
	mu sync.Mutex
	m  map[any]any
}

// NewShared returns an empty Shared.
func NewShared() *Shared { return &Shared{m: map[any]any{}} }

// Get returns the value stored under key, storing the result of make first
// when there is none. Keys compare as map keys do; use a value of an
// unexported type so that packages cannot collide.
func (s *Shared) Get(key any, make func() any) any {
	if s == nil {
		return make()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		v = make()
		s.m[key] = v
	}
	return v
}
