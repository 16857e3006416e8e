package s3store

import "testing"

// TestCopySpans: the parts copied on the server cover the audio once, in
// order, each but the last at least minPartSize and none over the copy
// limit.
func TestCopySpans(t *testing.T) {
	for _, tc := range []struct{ n, size int64 }{
		{minPartSize, DefaultPartSize}, {DefaultPartSize, DefaultPartSize}, {DefaultPartSize + 1, DefaultPartSize},
		{13<<20 + 5, DefaultPartSize}, {2*DefaultPartSize + minPartSize - 1, DefaultPartSize}, {12 << 30, maxCopyPart},
	} {
		spans := copySpans(tc.n, tc.size)
		next := int64(0)
		for i, sp := range spans {
			last := i == len(spans)-1
			if sp[0] != next || sp[1] <= sp[0] || sp[1]-sp[0] > maxCopyPart || (!last && sp[1]-sp[0] < minPartSize) {
				t.Errorf("n %d: spans %v", tc.n, spans)
				break
			}
			next = sp[1]
		}
		if next != tc.n {
			t.Errorf("n %d: spans %v end at %d", tc.n, spans, next)
		}
	}
}
