//go:build !linux

package wasm

import "errors"

// reserve is Linux-only; elsewhere instances use wazero's growing slice.
func reserve(uint64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unreserve([]byte) {}
