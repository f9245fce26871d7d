package s3store

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/storetest"
)

// TestSeparateProcessServer runs s3serverd, the test server as a process
// of its own (as the cross-host tests run it on a host of their own), and
// uses it from two stores: a record put by one is read by the other, and
// a lock held by one keeps the other out.
func TestSeparateProcessServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds s3serverd")
	}
	bin := filepath.Join(t.TempDir(), "s3serverd")
	build := exec.Command("go", "build", "-o", bin, "github.com/gopersist/persist/stores/s3store/internal/s3server/s3serverd")
	build.Dir = packageDir
	if out, err := build.CombinedOutput(); err != nil {
		storetest.Missing(t, "building s3serverd: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-dir", t.TempDir(), "-bucket", "persist-proc")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+testAccess, "AWS_SECRET_ACCESS_KEY="+testSecret)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	defer func() {
		_ = stdin.Close() // asks the server to exit
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("s3serverd: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("s3serverd did not exit when its standard input closed")
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { exited <- cmd.Wait() }()
	endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("s3serverd said %q, %v", line, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	open := func() *stores.Store {
		st, err := New(ctx, Options{Bucket: "persist-proc", Prefix: "p", Endpoint: endpoint,
			Credentials: credentials.NewStaticV4(testAccess, testSecret, "")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	a, b := open(), open()
	if err := a.Put(ctx, "f", "h", stores.Record{Result: []byte("from a")}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "f", "h"); err != nil || string(got.Result) != "from a" {
		t.Errorf("b.Get = %q, %v; want a's record", got.Result, err)
	}
	unlock, err := a.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = b.Lock(short, "f", "h")
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("b.Lock while a holds the lock: %v, want the deadline", err)
	}
	unlock()
	unlock, err = b.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatalf("b.Lock after a released: %v", err)
	}
	unlock()
}
