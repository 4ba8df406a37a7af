package awsemu

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// Identifiers are generated deterministically from the state's seed and a
// counter, so a world file always produces the same IDs, and a saved state
// continues the same sequence after it is loaded.

// nextBytes returns n pseudo-random bytes and advances the counter. Calls
// in different account-regions make IDs at once: idMu orders them, so
// each gets its own (in the order they asked, which is only deterministic
// for calls made one at a time).
func (s *state) nextBytes(n int) []byte {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	var out []byte
	for len(out) < n {
		s.Counter++
		var buf [16]byte
		binary.BigEndian.PutUint64(buf[:8], uint64(s.Seed))
		binary.BigEndian.PutUint64(buf[8:], s.Counter)
		sum := sha256.Sum256(buf[:])
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// hexID returns prefix + "0" + 16 more hex digits, the 17-hex-digit form EC2
// uses for vpc-, subnet-, eni-, tgw-, tgw-attach- and fl- IDs.
func (s *state) hexID(prefix string) string {
	return prefix + "0" + hex.EncodeToString(s.nextBytes(8))
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

func (s *state) alnum(alphabet string, n int) string {
	var b strings.Builder
	for _, x := range s.nextBytes(n) {
		b.WriteByte(alphabet[int(x)%len(alphabet)])
	}
	return b.String()
}

// roleID is an IAM role's unique ID: "AROA" and 17 upper-case characters.
func (s *state) roleID() string { return "AROA" + s.alnum(upperAlnum, 17) }

// instanceProfileID is an instance profile's unique ID: "AIPA" and 17
// upper-case characters.
func (s *state) instanceProfileID() string { return "AIPA" + s.alnum(upperAlnum, 17) }

// accessKeyID is "AKIA" (long-lived) or "ASIA" (temporary) and 16 characters.
func (s *state) accessKeyID(temporary bool) string {
	if temporary {
		return "ASIA" + s.alnum(upperAlnum, 16)
	}
	return "AKIA" + s.alnum(upperAlnum, 16)
}

func (s *state) secret() string {
	return hex.EncodeToString(s.nextBytes(20))
}

// orgID is "o-" and 10 lower-case characters; rootID "r-" and 4; ouID
// "ou-<root part>-" and 8, as Organizations formats them.
func (s *state) orgID() string  { return "o-" + s.alnum(lowerAlnum, 10) }
func (s *state) rootID() string { return "r-" + s.alnum(lowerAlnum, 4) }
func (s *state) ouID(root string) string {
	return "ou-" + strings.TrimPrefix(root, "r-") + "-" + s.alnum(lowerAlnum, 8)
}

// macAddress is a locally administered unicast MAC, as EC2 ENIs have.
func (s *state) macAddress() string {
	b := s.nextBytes(5)
	return fmt.Sprintf("0a:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4])
}
