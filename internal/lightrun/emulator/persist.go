/*
Copyright 2026 The lightrun-identity-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package emulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// loadState reads a state file written by Save. A missing file gives an error
// that matches os.ErrNotExist.
func loadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	s := &State{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("decoding the state file %s: %w", path, err)
	}
	return s, nil
}

// Save writes the state to Options.StateFile now (it is also written in the
// background while the state changes, and on Close). Without a state file it
// does nothing.
func (e *Emulator) Save() error {
	if e.opts.StateFile == "" {
		return nil
	}
	// One save at a time, so an older snapshot can never be renamed over a newer one.
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	e.mu.Lock()
	data, err := json.MarshalIndent(&e.st.State, "", "  ")
	e.dirty = false
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("emulator: encoding the state: %w", err)
	}
	if err := writeFileAtomically(e.opts.StateFile, data); err != nil {
		e.mu.Lock()
		e.dirty = true // try again on the next tick
		e.mu.Unlock()
		return fmt.Errorf("emulator: writing the state file: %w", err)
	}
	return nil
}

// persistLoop saves the state every PersistInterval while it changes.
func (e *Emulator) persistLoop() {
	defer close(e.persistDone)
	ticker := time.NewTicker(e.opts.PersistInterval)
	defer ticker.Stop()
	for {
		select {
		case <-e.stopPersist:
			return
		case <-ticker.C:
			e.mu.Lock()
			dirty := e.dirty
			e.mu.Unlock()
			if dirty {
				if err := e.Save(); err != nil {
					e.log.Error(err, "Persisting the emulator state", "file", e.opts.StateFile)
				}
			}
		}
	}
}

// writeFileAtomically replaces path with data so that a reader (or a restart
// after a crash) sees either the old file or the new one, never a torn one:
// the data goes to a temporary file in the same directory, is synced, and is
// renamed over path (rename is atomic within a file system on POSIX).
func writeFileAtomically(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if tmpName != "" {
			_ = os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	tmpName = ""
	// Sync the directory so the rename itself survives a power loss.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
