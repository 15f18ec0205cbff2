package action

import (
	"sync"
	"testing"
)

func TestShared(t *testing.T) {
	type key struct{}
	s := NewShared()
	made := 0
	mk := func() any { made++; return new(int) }
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = s.Get(key{}, mk)
		}()
	}
	wg.Wait()
	for _, v := range got {
		if v != got[0] {
			t.Fatal("Get returned different values for one key")
		}
	}
	if made != 1 {
		t.Fatalf("make ran %d times, want once", made)
	}
	if s.Get(struct{ k int }{1}, func() any { return 2 }) != 2 {
		t.Fatal("another key shares the first one's value")
	}
	var none *Shared
	if a, b := none.Get(key{}, mk), none.Get(key{}, mk); a == b || made != 3 {
		t.Fatalf("a nil Shared: made %d times; want a value per call", made)
	}
}
