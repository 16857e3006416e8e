package guard

// MinBodyRate is the slowest a request body may arrive, in bytes a
// second: 4 KiB/s (32 kbit/s), below the worst mobile link that can still
// record, far above a slowloris trickle. A body a route reads (Bodies.Read)
// gets the header timeout plus a second for every MinBodyRate bytes.
const MinBodyRate = 4 << 10
