package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// tokenBits is the strength of a generated token.
const tokenBits = 256

// minTokenLen is the shortest token accepted from a file: 128 bits as hex.
const minTokenLen = 32

// LoadOrCreateToken returns the API token stored at path. When the file does
// not exist it is created, mode 0600, holding a new random token of 256 bits
// (hex). The token is kept across restarts, so that clients that hold it
// keep working; deleting the file makes the next start write a new one.
//
// A file that group or others may read is refused rather than used: the
// token may have leaked.
func LoadOrCreateToken(path string) (tok []byte, created bool, err error) {
	tok, err = ReadToken(path)
	if err == nil {
		return tok, false, checkPrivate(path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	b := make([]byte, tokenBits/8)
	rand.Read(b) // never fails (crypto/rand)
	tok = []byte(hex.EncodeToString(b))
	if err := writePrivate(path, append(tok, '\n')); err != nil {
		return nil, false, fmt.Errorf("write the API token: %w", err)
	}
	return tok, true, nil
}

// ReadToken returns the token in the file at path (surrounding white space
// removed). It checks that the token is long enough and can travel in an
// HTTP header.
func ReadToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tok := bytes.TrimSpace(b)
	for _, c := range tok {
		if c < 0x21 || c > 0x7e {
			return nil, fmt.Errorf("the API token in %s holds a space or a character that is not printable ASCII; delete the file and `scribe watch` writes a new one", path)
		}
	}
	if len(tok) < minTokenLen {
		return nil, fmt.Errorf("the API token in %s is %d characters long, shorter than %d; delete the file and `scribe watch` writes a new one, or write one with `openssl rand -hex 32`", path, len(tok), minTokenLen)
	}
	return tok, nil
}

func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("the API token file %s may be read by other users (mode %04o), so the token may have leaked; run `chmod 600 %s`, or delete the file and `scribe watch` writes a new token", path, perm, path)
	}
	return nil
}

// writePrivate writes data to path, mode 0600, atomically.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".api-token-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a failure
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
