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
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// bar is a progress bar. On a terminal it redraws in place; elsewhere (a
// pipe, a test, CI) it prints a line every interval, if any, and the final one.
type bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int
	done     int
	start    time.Time
	tty      bool
	interval time.Duration // non-terminal: print progress this often (0: only at the end)
	drawn    time.Time
	finished bool
}

const barWidth = 30

func newBar(w io.Writer, label, unit string, total int) *bar {
	b := &bar{w: w, label: label, unit: unit, total: total, start: time.Now(), drawn: time.Now(), tty: isTerminal(w)}
	b.draw(true)
	return b
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add counts n more units done.
func (b *bar) Add(n int) { b.Set(-1, n) }

// Set sets the units done (when done >= 0) or adds n to them.
func (b *bar) Set(done, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if done >= 0 {
		b.done = done
	} else {
		b.done += n
	}
	b.draw(false)
}

// SetTotal changes the total, for work whose size is known only as it goes.
func (b *bar) SetTotal(total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total = total
}

// Finish draws the final line with a note (e.g. "131 requests, 1.9s").
func (b *bar) Finish(note string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	line := b.line()
	if note != "" {
		line += "  " + note
	}
	if b.tty {
		_, _ = fmt.Fprintf(b.w, "\r\033[K%s\n", line)
		return
	}
	_, _ = fmt.Fprintln(b.w, line)
}

func (b *bar) draw(first bool) {
	now := time.Now()
	switch {
	case b.finished:
		return
	case b.tty:
		if !first && now.Sub(b.drawn) < 50*time.Millisecond && b.done < b.total {
			return
		}
		_, _ = fmt.Fprintf(b.w, "\r\033[K%s", b.line())
	case b.interval > 0 && !first && now.Sub(b.drawn) >= b.interval:
		_, _ = fmt.Fprintln(b.w, b.line())
	default:
		return
	}
	b.drawn = now
}

func (b *bar) line() string {
	filled := 0
	if b.total > 0 {
		filled = min(barWidth, b.done*barWidth/b.total)
	}
	return fmt.Sprintf("   %-28s [%s%s] %d/%d %s", b.label,
		strings.Repeat("█", filled), strings.Repeat("░", barWidth-filled), b.done, b.total, b.unit)
}

// seconds renders a duration the way the demo prints them: 1.9s, 2m03s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
