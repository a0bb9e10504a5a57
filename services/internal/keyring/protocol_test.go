package keyring

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/together-coop/together/events/stakeholder"
)

const someone = "0199a1b2-0000-7000-8000-000000000001"

func TestMayRemote(t *testing.T) {
	tests := []struct {
		keyID         string
		seal, destroy bool
	}{
		{someone, true, false},
		{"feedback-" + someone, true, true},
		{"feedback-" + someone + "x", false, false},
		{"feedback-", false, false},
		{"feedback--" + someone, false, false},
		{"stakeholder-" + someone, false, false},
		{"0199A1B2-0000-7000-8000-000000000001", false, false},
		{"{" + someone + "}", false, false},
		{"urn:uuid:" + someone, false, false},
		{"_kek", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.keyID, func(t *testing.T) {
			if got := mayRemoteSeal(tt.keyID); got != tt.seal {
				t.Errorf("mayRemoteSeal(%q) = %v, want %v", tt.keyID, got, tt.seal)
			}
			if got := mayRemoteDestroy(tt.keyID); got != tt.destroy {
				t.Errorf("mayRemoteDestroy(%q) = %v, want %v", tt.keyID, got, tt.destroy)
			}
		})
	}
}

// Whatever arrives, a seal request decodes to a valid key id and a
// bounded plaintext, or is refused; and a request a Remote makes decodes
// to itself.
func FuzzDecodeSealRequest(f *testing.F) {
	f.Add([]byte(`{"key_id":"` + someone + `","plaintext":"eA=="}`))
	f.Add([]byte(`{"key_id":"_kek","plaintext":""}`))
	f.Add([]byte(`{"key_id":"a.b","plaintext":null}`))
	f.Add([]byte(`{"key_id":"` + someone + `","plaintext":"eA==","extra":1}`))
	f.Add([]byte(`{"key_id":"x"} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeSealRequest(data)
		if err == nil {
			if checkID(r.KeyID) != nil || len(r.Plaintext) > MaxRemotePlaintext {
				t.Fatalf("decoded an unusable request: key %q, %d bytes", r.KeyID, len(r.Plaintext))
			}
		}
		// Round trip from what a Remote would send.
		if checkID(string(data)) == nil && len(data) <= MaxRemotePlaintext {
			sent := sealRequest{KeyID: string(data), Plaintext: data}
			enc, err := json.Marshal(sent)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeSealRequest(enc)
			if err != nil {
				t.Fatalf("decode(encode(%q)) = %v", data, err)
			}
			if diff := cmp.Diff(sent, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("decode(encode(x)) != x (-want +got):\n%s", diff)
			}
		}
	})
}

func FuzzDecodeDestroyRequest(f *testing.F) {
	f.Add([]byte(`{"key_id":"feedback-` + someone + `"}`))
	f.Add([]byte(`{"key_id":"keys.>"}`))
	f.Add([]byte(`{"key_id":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeDestroyRequest(data)
		if err == nil && checkID(r.KeyID) != nil {
			t.Fatalf("decoded an invalid key id %q", r.KeyID)
		}
		if checkID(string(data)) == nil {
			enc, _ := json.Marshal(destroyRequest{KeyID: string(data)})
			if got, err := decodeDestroyRequest(enc); err != nil || got.KeyID != string(data) {
				t.Fatalf("decode(encode(%q)) = %q, %v", data, got.KeyID, err)
			}
		}
	})
}

// Whatever answers, a Remote accepts only sealed data of the key and the
// size it asked for; and what a Keyring answers decodes to itself.
func FuzzDecodeSealed(f *testing.F) {
	f.Add([]byte(`{"key_id":"`+someone+`","nonce":"AAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAA="}`), 1)
	f.Add([]byte(`{"key_id":"`+someone+`","nonce":"","ciphertext":""}`), 0)
	f.Add([]byte(`null`), 0)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > 4096 {
			return
		}
		s, err := decodeSealed(data, someone, n)
		if err == nil && (s.KeyID != someone || len(s.Nonce) != gcmNonceSize || len(s.Ciphertext) != n+gcmOverhead) {
			t.Fatalf("accepted %+v for %d bytes", s, n)
		}
		sent := stakeholder.Sealed{KeyID: someone, Nonce: bytes.Repeat([]byte{1}, gcmNonceSize), Ciphertext: bytes.Repeat([]byte{2}, n+gcmOverhead)}
		enc, err := json.Marshal(sent)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeSealed(enc, someone, n)
		if err != nil {
			t.Fatalf("decode(encode(sealed %d bytes)) = %v", n, err)
		}
		if diff := cmp.Diff(sent, got); diff != "" {
			t.Fatalf("decode(encode(x)) != x (-want +got):\n%s", diff)
		}
	})
}

func FuzzDecodeDestroyAnswer(f *testing.F) {
	f.Add([]byte(`{"destroyed":"feedback-` + someone + `"}`))
	f.Add([]byte(`{"destroyed":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const keyID = "feedback-" + someone
		err := decodeDestroyAnswer(data, keyID)
		if err == nil {
			var a destroyAnswer
			if json.Unmarshal(data, &a) != nil || a.Destroyed != keyID {
				t.Fatalf("accepted %q as confirming %s", data, keyID)
			}
		}
	})
}
