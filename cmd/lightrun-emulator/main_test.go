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

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the server while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunServesUntilCancelledAndSavesTheState runs the program as main does,
// on a free loopback port, and stops it through its context.
func TestRunServesUntilCancelledAndSavesTheState(t *testing.T) {
	const key = "program-test-key"
	stateFile := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	urls := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, []string{"--listen=127.0.0.1:0", "--state-file=" + stateFile}, envOf(map[string]string{
			"LIGHTRUN_EMULATOR_API_KEYS": key,
		}), &logs, func(url string) { urls <- url })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("run ended before listening: %v", err)
	case <-ctx.Done():
		t.Fatal("the emulator did not start")
	}

	client := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/users",
		strings.NewReader(`{"email":"program@example.com","firstName":"P","lastName":"T"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/users = %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatalf("the state was not saved on shutdown: %v", err)
	}
	if !strings.Contains(string(data), "program@example.com") {
		t.Error("the saved state lacks the user created before shutdown")
	}
	if out := logs.String(); !strings.Contains(out, "Lightrun emulator listening") || strings.Contains(out, key) {
		t.Errorf("logs must announce the URL and never contain the API key:\n%s", out)
	}
}
