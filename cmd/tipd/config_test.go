package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigRedactsSecrets: the store URL may come from TIPD_STORE_FILE, and
// neither `tipd config` nor a command's help prints its password.
func TestConfigRedactsSecrets(t *testing.T) {
	file := filepath.Join(t.TempDir(), "store-url")
	if err := os.WriteFile(file, []byte("postgres://tipd:s3cret@db.example:5432/tipd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := testEnv(map[string]string{"TIPD_STORE_FILE": file, "TIPD_TOKEN": "tipd_secrettoken"})
	for _, args := range [][]string{{"config"}, {"lookup", "-h"}} {
		var out, errOut bytes.Buffer
		run(context.Background(), args, env, strings.NewReader(""), &out, &errOut)
		all := out.String() + errOut.String()
		if strings.Contains(all, "s3cret") || strings.Contains(all, "secrettoken") {
			t.Errorf("tipd %s prints a secret:\n%s", strings.Join(args, " "), all)
		}
		if !strings.Contains(all, "postgres://tipd:xxxxx@db.example:5432/tipd") {
			t.Errorf("tipd %s does not show the redacted store URL:\n%s", strings.Join(args, " "), all)
		}
	}
}
