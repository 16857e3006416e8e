package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// maxCopyPart is the largest part UploadPartCopy takes (S3's limit).
const maxCopyPart = 5 << 30

// SetMeta rewrites a recording's metadata (its title, say) with edit,
// leaving its audio byte for byte (store.EditMeta), and writes the object
// anew under its name; readers see the old object or the new. The audio
// does not pass through this node when it is large: the new object is a
// multipart upload whose parts but the last are copied on the server from
// the object itself (UploadPartCopy), and whose last part is the new
// metadata. A small one (under a part) is read and put back. Every write
// is conditional on the object being the one read (its ETag), so a rename
// that races a change on another node fails rather than undoes it, where
// the server honours the condition.
func (s *Store) SetMeta(ctx context.Context, name string, edit func(*store.Meta)) error {
	if !store.ValidName(name) {
		return fmt.Errorf("s3store: set meta %q: %w", name, media.Invalidf("%q is not a recording name", name))
	}
	key := s.key(name)
	head, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return fmt.Errorf("s3store: set meta %q: %w", name, notFound(err, name))
	}
	r := &objectReader{s: s, ctx: ctx, key: key, etag: head.ETag, size: head.Size}
	defer r.Close()
	keep, tail, err := store.EditMeta(r, head.Size, edit)
	if err != nil {
		return fmt.Errorf("s3store: set meta %q: %w", name, err)
	}
	if keep < minPartSize {
		err = s.rewriteSmall(ctx, key, head.ETag, r, keep, tail)
	} else {
		err = s.rewriteLarge(ctx, key, head.ETag, keep, tail)
	}
	if err != nil {
		return fmt.Errorf("s3store: set meta %q: %w", name, err)
	}
	return nil
}

// rewriteSmall puts the object back: its first keep bytes, read through
// r, then tail.
func (s *Store) rewriteSmall(ctx context.Context, key, etag string, r io.ReaderAt, keep int64, tail []byte) error {
	body := make([]byte, keep, keep+int64(len(tail)))
	if _, err := r.ReadAt(body, 0); err != nil {
		return err
	}
	body = append(body, tail...)
	opts := minio.PutObjectOptions{ContentType: contentType}
	opts.SetMatchETag(etag)
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)), "", "", opts)
	return err
}

// rewriteLarge writes the object anew by a multipart upload: its first
// keep bytes copied on the server in parts of at least minPartSize, then
// tail uploaded as the last part.
func (s *Store) rewriteLarge(ctx context.Context, key, etag string, keep int64, tail []byte) (err error) {
	id, err := s.client.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("start upload: %w", err)
	}
	up := &upload{s: s, ctx: ctx, key: key, id: id}
	defer func() {
		if err != nil {
			up.abort()
		}
	}()
	for _, span := range copySpans(keep, s.partSize()) {
		num := len(up.parts) + 1
		part, err := s.client.CopyObjectPart(ctx, s.bucket, key, s.bucket, key, id, num, span[0], span[1]-span[0],
			map[string]string{"x-amz-copy-source-if-match": etag})
		if err != nil {
			return fmt.Errorf("copy part %d: %w", num, err)
		}
		up.parts = append(up.parts, part)
	}
	up.buf = tail
	if err := up.flush(); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{}
	opts.SetMatchETag(etag)
	if _, err := s.client.CompleteMultipartUpload(ctx, s.bucket, key, id, up.parts, opts); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	up.id = ""
	return nil
}

// copySpans cuts [0, n) into spans of size bytes, the last one taking the
// rest when it would be under minPartSize (every part but the last
// upload's must be at least that); none over maxCopyPart.
func copySpans(n, size int64) [][2]int64 {
	var out [][2]int64
	for off := int64(0); off < n; {
		end := min(off+size, n)
		if n-end < minPartSize && n-off <= maxCopyPart {
			end = n
		}
		out = append(out, [2]int64{off, end})
		off = end
	}
	return out
}
