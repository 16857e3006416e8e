package media

import (
	"fmt"
	"os"
)

// SyncDir makes a create, link, rename or unlink in dir durable: without
// it a crash can lose the directory entry of a file already synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
