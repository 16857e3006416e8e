package app

import "syscall"

// diskFree is the space left, in bytes, to an ordinary user on the file
// system holding dir (the data volume, for the page's storage line).
func diskFree(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
