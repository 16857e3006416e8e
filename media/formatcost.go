package media

// TypicalOpusBitrate is what browsers send a WebRTC microphone at:
// libopus's 32 kbit/s target for mono voice in Chromium, Firefox and
// Safari, which Chromium's stream in testdata averages 33 kbit/s over
// (variable bit rate; less in silences with DTX).
const TypicalOpusBitrate = 33000

// oggOverheadPerSecond is what the Ogg pages add to the packets (a page a
// second, a lacing value per 20 ms packet), in bytes.
const oggOverheadPerSecond = 27 + 51

// base64Ratio is how much the recording's JSON grows its audio: 4 bytes
// of base64 for every 3.
const base64Num, base64Den = 4, 3

// HourOnDisk returns what an hour of live take costs on disk in the
// recording's JSON file (base64 audio) in each format at p's sample rate
// and channels: WAV at the rate and channels, Opus at the bit rate
// browsers are asked for (bits/s; 0: TypicalOpusBitrate, their own).
func HourOnDisk(p Params, opusBitrate int) (wav, opus int64) {
	const hour = 3600
	if opusBitrate <= 0 {
		opusBitrate = TypicalOpusBitrate
	}
	wav = int64(p.SampleRate) * int64(p.Channels) * 2 * hour
	opus = (int64(opusBitrate)/8 + oggOverheadPerSecond) * hour
	return wav * base64Num / base64Den, opus * base64Num / base64Den
}
