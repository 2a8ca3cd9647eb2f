// Package conda reads conda package archives and writes conda repodata. It
// is pure code — no HTTP, no database — and treats every archive as hostile.
package conda

import (
	"regexp"
	"slices"
	"strings"
)

// Format is a conda package file format.
type Format int

// The two formats conda installs.
const (
	Unknown Format = iota
	Conda          // .conda: a zip holding zstd-compressed tars
	TarBz2         // .tar.bz2: a bzip2-compressed tar
)

// Ext is the file extension of the format.
func (f Format) Ext() string {
	switch f {
	case Conda:
		return ".conda"
	case TarBz2:
		return ".tar.bz2"
	}
	return ""
}

// FormatOf tells the format from a file name.
func FormatOf(filename string) Format {
	switch {
	case strings.HasSuffix(filename, ".conda"):
		return Conda
	case strings.HasSuffix(filename, ".tar.bz2"):
		return TarBz2
	}
	return Unknown
}

// Subdirs are the platform subdirectories conda knows.
var Subdirs = []string{
	"noarch",
	"linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l", "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x",
	"osx-64", "osx-arm64",
	"win-32", "win-64", "win-arm64",
	"emscripten-wasm32", "wasi-wasm32", "zos-z", "freebsd-64",
}

// IsSubdir reports whether name is a conda subdir.
func IsSubdir(name string) bool { return slices.Contains(Subdirs, name) }

// subdirShape is <platform>-<arch> for the platforms conda builds for; the
// arch has a digit (64, aarch64, wasm32, …) or is one of the odd old ones.
var subdirShape = regexp.MustCompile(`^(linux|osx|win|freebsd|zos|emscripten|wasi)-([a-z0-9_]*[0-9][a-z0-9_]*|z|ppc)$`)

// LooksLikeSubdir reports whether name is, or could be, a conda subdir:
// the known ones and any new architecture of a known platform.
func LooksLikeSubdir(name string) bool { return IsSubdir(name) || subdirShape.MatchString(name) }
