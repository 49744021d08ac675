// Command tlogverify checks a modelgov ledger the way any outside auditor could: with the Go
// reference implementation of signed notes and tiled transparency logs
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog), none of modelgov's own code.
//
// Usage:
//
//	tlogverify -vkey VKEY -log URL_OR_DIR [-token T] [-old CHECKPOINT_FILE] [-entries 0,5,9]
//
// LOG is where the C2SP tlog-tiles live: a URL prefix (http://host:port/v1/ledger, fetched with
// `Authorization: Bearer T` if -token is given) or a directory (the tlog/ of `modelgov export`).
// LOG/checkpoint is the signed checkpoint and LOG/tile/... the tiles and entry bundles.
//
// It verifies the checkpoint's signature with VKEY (and that its origin is the key's name),
// reads the hash tiles through tlog.TileHashReader (which authenticates every tile against the
// signed root) and recomputes the root with tlog.TreeHash; it reads every entry bundle and checks
// that each entry's tlog.RecordHash is the leaf hash at its index and that the bundles hold
// exactly the tree's entries; it checks the inclusion of the chosen entries (default: the first
// and the last) with tlog.ProveRecord/CheckRecord; with -old, it verifies that checkpoint too
// and that the new tree extends it (tlog.ProveTree/CheckTree).
//
// Exit status 0 and one line starting "OK" when all of that holds; 1 and a line starting
// "FAIL" naming what does not; 2 for a usage error.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8 // C2SP tlog-tiles: 256 hashes per tile

type failure struct{ msg string }

func (f failure) Error() string { return f.msg }

func fail(format string, args ...interface{}) error {
	return failure{fmt.Sprintf(format, args...)}
}

// source reads LOG/<path> from a URL prefix or a directory.
type source struct {
	base   string
	token  string
	client *http.Client
}

var errNotFound = errors.New("not found")

func (s *source) isHTTP() bool {
	return strings.HasPrefix(s.base, "http://") || strings.HasPrefix(s.base, "https://")
}

func (s *source) read(path string) ([]byte, error) {
	if !s.isHTTP() {
		file := filepath.Join(s.base, filepath.FromSlash(path))
		data, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", file, errNotFound)
		}
		return data, err
	}
	url := strings.TrimSuffix(s.base, "/") + "/" + path
	request, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	if s.token != "" {
		request.Header.Set("Authorization", "Bearer "+s.token)
	}
	response, err := s.client.Do(request)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	if response.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("GET %s: %w", url, errNotFound)
	}
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %.200s", url, response.StatusCode, body)
	}
	return body, nil
}

// tilePath is a tile's C2SP path: Go's sumdb path (tile/H/L/N[.p/W]) without the height, and
// `entries` for the data level.
func tilePath(t tlog.Tile) string {
	path := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	return "tile/" + strings.Replace(path, "data/", "entries/", 1)
}

// readTile reads a tile at its width; if that partial tile is gone (the log grew), the full tile
// it became (as C2SP tlog-tiles allows), which the caller cuts to the width it asked for.
func (s *source) readTile(t tlog.Tile) (data []byte, widened bool, err error) {
	data, err = s.read(tilePath(t))
	if errors.Is(err, errNotFound) && t.W < 1<<height {
		full := t
		full.W = 1 << height
		if wide, werr := s.read(tilePath(full)); werr == nil {
			return wide, true, nil
		}
	}
	return data, false, err
}

// tiles is the tlog.TileReader over a source; tiles already read are kept.
type tiles struct {
	src   *source
	cache map[tlog.Tile][]byte
}

func (r *tiles) Height() int { return height }

func (r *tiles) ReadTiles(want []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(want))
	for i, t := range want {
		if data, ok := r.cache[t]; ok {
			out[i] = data
			continue
		}
		data, widened, err := r.src.readTile(t)
		if err != nil {
			return nil, fail("%v", err)
		}
		if widened && len(data) >= t.W*tlog.HashSize {
			data = data[:t.W*tlog.HashSize]
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fail("tile %s holds %d bytes, not %d hashes", tilePath(t), len(data), t.W)
		}
		out[i] = data
	}
	return out, nil
}

func (r *tiles) SaveTiles(saved []tlog.Tile, data [][]byte) {
	for i, t := range saved {
		r.cache[t] = data[i]
	}
}

// checkpoint is a verified, parsed C2SP tlog-checkpoint.
func checkpoint(text []byte, verifier note.Verifier, what string) (tlog.Tree, error) {
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, fail("%s: signature does not verify with the vkey of %s+%08x: %v",
			what, verifier.Name(), verifier.KeyHash(), err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return tlog.Tree{}, fail("%s: not a checkpoint (origin, size and root lines)", what)
	}
	if lines[0] != verifier.Name() {
		return tlog.Tree{}, fail("%s: origin %q is not the key's name %q", what, lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return tlog.Tree{}, fail("%s: tree size %q is not a decimal number", what, lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return tlog.Tree{}, fail("%s: root %q is not a base64 SHA-256 hash", what, lines[2])
	}
	tree := tlog.Tree{N: size}
	copy(tree.Hash[:], raw)
	return tree, nil
}

// entries reads every entry bundle of the tree and checks each entry against the leaf hash at
// its index; it returns the entries.
func entries(src *source, tree tlog.Tree, hashes tlog.HashReader) ([][]byte, error) {
	all := make([][]byte, 0, tree.N)
	for start := int64(0); start < tree.N; start += 1 << height {
		width := tree.N - start
		if width > 1<<height {
			width = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(width)}
		data, widened, err := src.readTile(t)
		if err != nil {
			return nil, fail("entry bundle: %v", err)
		}
		var bundle [][]byte
		for at := 0; at < len(data); {
			if at+2 > len(data) {
				return nil, fail("entry bundle %s ends inside an entry's length", tilePath(t))
			}
			n := int(binary.BigEndian.Uint16(data[at:]))
			if at+2+n > len(data) {
				return nil, fail("entry bundle %s ends inside an entry", tilePath(t))
			}
			bundle = append(bundle, data[at+2:at+2+n])
			at += 2 + n
		}
		if widened && int64(len(bundle)) > width {
			bundle = bundle[:width]
		}
		indexes := make([]int64, width)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		leaves, err := hashes.ReadHashes(indexes)
		if err != nil {
			return nil, fail("leaf hashes %d..%d: %v", start, start+width-1, err)
		}
		for i, entry := range bundle {
			if int64(i) >= width {
				break
			}
			if got := tlog.RecordHash(entry); got != leaves[i] {
				return nil, fail("entry %d does not match the signed tree: record hash %s, leaf hash %s",
					start+int64(i), got, leaves[i])
			}
		}
		if int64(len(bundle)) != width {
			return nil, fail("entry bundle %s holds %d entries, the signed tree has %d there",
				tilePath(t), len(bundle), width)
		}
		all = append(all, bundle...)
	}
	return all, nil
}

func run(vkey, log, token, old, chosen string) (string, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fail("vkey %q: %v", vkey, err)
	}
	src := &source{base: log, token: token, client: &http.Client{Timeout: 60 * time.Second}}
	text, err := src.read("checkpoint")
	if err != nil {
		return "", fail("checkpoint: %v", err)
	}
	tree, err := checkpoint(text, verifier, "checkpoint")
	if err != nil {
		return "", err
	}
	hashes := tlog.TileHashReader(tree, &tiles{src: src, cache: map[tlog.Tile][]byte{}})
	if tree.N > 0 {
		root, err := tlog.TreeHash(tree.N, hashes)
		if err != nil {
			return "", fail("tiles: %v", err)
		}
		if root != tree.Hash {
			return "", fail("tiles: root %s is not the checkpoint's %s", root, tree.Hash)
		}
	}
	records, err := entries(src, tree, hashes)
	if err != nil {
		return "", err
	}

	var proved []int64
	if chosen == "" && tree.N > 0 {
		proved = []int64{0, tree.N - 1}
	}
	for _, field := range strings.Split(chosen, ",") {
		if field = strings.TrimSpace(field); field == "" {
			continue
		}
		index, err := strconv.ParseInt(field, 10, 64)
		if err != nil || index < 0 {
			return "", fail("-entries: %q is not an entry index", field)
		}
		proved = append(proved, index)
	}
	for _, index := range proved {
		if index >= tree.N {
			return "", fail("inclusion of entry %d: the signed tree has %d entries", index, tree.N)
		}
		proof, err := tlog.ProveRecord(tree.N, index, hashes)
		if err != nil {
			return "", fail("inclusion of entry %d: %v", index, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(records[index])); err != nil {
			return "", fail("inclusion of entry %d: %v", index, err)
		}
	}

	summary := fmt.Sprintf("OK %s: checkpoint signed by %s+%08x, tree size %d, root %s; %d entries match the tiles; inclusion of %v proved",
		log, verifier.Name(), verifier.KeyHash(), tree.N, tree.Hash, len(records), proved)
	if old != "" {
		oldText, err := os.ReadFile(old)
		if err != nil {
			return "", fail("old checkpoint: %v", err)
		}
		oldTree, err := checkpoint(oldText, verifier, "old checkpoint")
		if err != nil {
			return "", err
		}
		if oldTree.N > tree.N {
			return "", fail("consistency: the old checkpoint's tree (%d) is larger than the new one (%d)", oldTree.N, tree.N)
		}
		if oldTree.N == 0 {
			var empty tlog.Hash
			if oldTree.Hash != empty && oldTree.Hash != emptyRoot() {
				return "", fail("consistency: the old checkpoint's empty tree has root %s", oldTree.Hash)
			}
		} else {
			proof, err := tlog.ProveTree(tree.N, oldTree.N, hashes)
			if err != nil {
				return "", fail("consistency with the old checkpoint (size %d): %v", oldTree.N, err)
			}
			if err := tlog.CheckTree(proof, tree.N, tree.Hash, oldTree.N, oldTree.Hash); err != nil {
				return "", fail("consistency with the old checkpoint (size %d): %v", oldTree.N, err)
			}
		}
		summary += fmt.Sprintf("; consistent with the old checkpoint (size %d, root %s)", oldTree.N, oldTree.Hash)
	}
	return summary, nil
}

// emptyRoot is RFC 6962's root of the empty tree, SHA-256 of nothing.
func emptyRoot() tlog.Hash {
	var h tlog.Hash
	raw, _ := base64.StdEncoding.DecodeString("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	copy(h[:], raw)
	return h
}

func main() {
	vkey := flag.String("vkey", "", "the signed-note verifier key (`modelgov keys show --json`: vkey)")
	log := flag.String("log", "", "URL prefix (http://host:port/v1/ledger) or directory of the tiles")
	token := flag.String("token", "", "bearer token for an HTTP log")
	old := flag.String("old", "", "an earlier checkpoint file: check that the log extends it")
	chosen := flag.String("entries", "", "comma-separated entry indexes to prove inclusion of (default: first and last)")
	flag.Parse()
	if *vkey == "" || *log == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: tlogverify -vkey VKEY -log URL_OR_DIR [-token T] [-old CHECKPOINT_FILE] [-entries 0,5,9]")
		os.Exit(2)
	}
	summary, err := run(*vkey, *log, *token, *old, *chosen)
	if err != nil {
		fmt.Println("FAIL " + err.Error())
		os.Exit(1)
	}
	fmt.Println(summary)
}
