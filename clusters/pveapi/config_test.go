package pveapi

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewValidates(t *testing.T) {
	fp := FormatFingerprint(make([]byte, 32))
	ok := Config{BaseURL: "https://10.0.0.1:8006", Fingerprint: fp, TokenID: testTokenID, TokenSecret: "s"}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string // "" = success
	}{
		{name: "valid", mod: func(*Config) {}},
		{name: "api2/json suffix accepted", mod: func(c *Config) { c.BaseURL = "https://10.0.0.1:8006/api2/json/" }},
		{name: "lower-case fingerprint accepted", mod: func(c *Config) { c.Fingerprint = strings.ToLower(strings.Repeat("ab:", 31) + "ab") }},
		{name: "http scheme", mod: func(c *Config) { c.BaseURL = "http://10.0.0.1:8006" }, wantErr: "want https://HOST:PORT"},
		{name: "other path", mod: func(c *Config) { c.BaseURL = "https://10.0.0.1:8006/x" }, wantErr: "without a path"},
		{name: "empty fingerprint", mod: func(c *Config) { c.Fingerprint = "" }, wantErr: "not a SHA-256 fingerprint"},
		{name: "short fingerprint", mod: func(c *Config) { c.Fingerprint = "AA:BB" }, wantErr: "32 colon-separated hex bytes"},
		{name: "bad hex", mod: func(c *Config) { c.Fingerprint = strings.Repeat("ZZ:", 31) + "ZZ" }, wantErr: "not a hex byte"},
		{name: "token without !", mod: func(c *Config) { c.TokenID = "root@pam" }, wantErr: "USER@REALM!TOKENID"},
		{name: "empty secret", mod: func(c *Config) { c.TokenSecret = " " }, wantErr: "empty secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			c, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil || c.BaseURL() != "https://10.0.0.1:8006" {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v; want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s\"") && cfg.TokenSecret == "s" {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestFingerprintRoundTrip(t *testing.T) {
	sum := make([]byte, 32)
	for i := range sum {
		sum[i] = byte(i * 7)
	}
	s := FormatFingerprint(sum)
	if len(s) != 95 || s[:8] != "00:07:0E" {
		t.Fatalf("FormatFingerprint = %q", s)
	}
	back, err := ParseFingerprint(strings.ToLower(s))
	if err != nil || string(back) != string(sum) {
		t.Fatalf("ParseFingerprint = %x, %v", back, err)
	}
}

func TestFlexInt(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    FlexInt
		wantErr bool
	}{
		{name: "number", in: `7`, want: 7},
		{name: "string (corosync.conf value, reference §1.2)", in: `"4"`, want: 4},
		{name: "padded string", in: `" 12 "`, want: 12},
		{name: "float form after re-encoding", in: `1e+06`, want: 1000000},
		{name: "null", in: `null`, want: 0},
		{name: "empty string", in: `""`, want: 0},
		{name: "bool true", in: `true`, want: 1},
		{name: "fraction", in: `1.5`, wantErr: true},
		{name: "word", in: `"many"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f FlexInt
			err := json.Unmarshal([]byte(tt.in), &f)
			if (err != nil) != tt.wantErr || (!tt.wantErr && f != tt.want) {
				t.Errorf("got %d, %v; want %d, err %t", f, err, tt.want, tt.wantErr)
			}
		})
	}
}
