package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestSecretPrintsMask(t *testing.T) {
	s := NewSecret(uuidSecret)
	tests := []struct {
		format string
		want   string
	}{
		{"%v", Mask},
		{"%+v", Mask},
		{"%#v", Mask},
		{"%s", Mask},
		{"%q", `"` + Mask + `"`},
		{"%d", Mask},
		{"%x", Mask},
		{"%X", Mask},
		{"%12s|", "  " + Mask + "|"},
		{"%-12v|", Mask + "  |"},
		{"%.4s", Mask[:4]},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fmt.Sprintf(tt.format, s)); diff != "" {
				t.Errorf("Sprintf(%q) mismatch (-want +got):\n%s", tt.format, diff)
			}
			if diff := cmp.Diff(tt.want, fmt.Sprintf(tt.format, &s)); diff != "" {
				t.Errorf("Sprintf(%q, &s) mismatch (-want +got):\n%s", tt.format, diff)
			}
		})
	}
	for name, got := range map[string]string{"String": s.String(), "GoString": s.GoString(), "Sprint": fmt.Sprint(s), "Sprintln": fmt.Sprintln(s)} {
		if diff := cmp.Diff(Mask, strings.TrimSuffix(got, "\n")); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if got := s.Reveal(); got != uuidSecret {
		t.Errorf("Reveal() = %q", got)
	}
}

type config struct {
	URL    string
	Token  Secret
	hidden Secret
	Ptr    *Secret
}

func TestSecretInsideStructs(t *testing.T) {
	s := NewSecret(uuidSecret)
	c := config{URL: "https://pve:8006", Token: s, hidden: s, Ptr: &s}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%p", "%T"} {
		out := fmt.Sprintf(format, c)
		if l := leaks(out, uuidSecret); len(l) > 0 {
			t.Errorf("Sprintf(%q, config) = %q leaks %v", format, out, l)
		}
	}
	if got, want := fmt.Sprintf("%+v", struct{ Token Secret }{s}), "{Token:"+Mask+"}"; got != want {
		t.Errorf("exported field: got %q, want %q", got, want)
	}

	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"URL":"https://pve:8006","Token":"` + Mask + `","Ptr":"` + Mask + `"}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
	}
	text, err := s.MarshalText()
	if err != nil || string(text) != Mask {
		t.Errorf("MarshalText() = %q, %v", text, err)
	}
	m, err := json.Marshal(map[Secret]int{s: 1})
	if err != nil || string(m) != `{"`+Mask+`":1}` {
		t.Errorf("json.Marshal(map key) = %s, %v", m, err)
	}
}

func TestEmptyAndClashingSecrets(t *testing.T) {
	tests := []struct {
		name   string
		secret Secret
		want   string
		zero   bool
	}{
		{"zero value", Secret{}, "", true},
		{"empty", NewSecret(""), "", true},
		{"inside Mask", NewSecret("ACT"), FallbackMask, false},
		{"is Mask", NewSecret(Mask), FallbackMask, false},
		{"ordinary", NewSecret("hunter2"), Mask, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.secret)
			got := []string{fmt.Sprint(tt.secret), fmt.Sprintf("%#v", tt.secret), tt.secret.String(), string(b)}
			want := []string{tt.want, tt.want, tt.want, fmt.Sprintf("%q", tt.want)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("printing mismatch (-want +got):\n%s", diff)
			}
			if tt.secret.IsZero() != tt.zero {
				t.Errorf("IsZero() = %v, want %v", tt.secret.IsZero(), tt.zero)
			}
		})
	}
}

func TestSecretInLogs(t *testing.T) {
	s := NewSecret(uuidSecret)
	tests := []struct {
		name string
		log  func(*bytes.Buffer)
		want string
	}{
		{"slog json", func(b *bytes.Buffer) {
			slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{ReplaceAttr: dropTime})).Info("auth", "token", s)
		}, `{"level":"INFO","msg":"auth","token":"` + Mask + `"}` + "\n"},
		{"slog text", func(b *bytes.Buffer) {
			slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{ReplaceAttr: dropTime})).Info("auth", "token", s)
		}, `level=INFO msg=auth token=` + Mask + "\n"},
		{"slog group", func(b *bytes.Buffer) {
			slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{ReplaceAttr: dropTime})).Info("auth", slog.Group("cfg", "token", s))
		}, `{"level":"INFO","msg":"auth","cfg":{"token":"` + Mask + `"}}` + "\n"},
		{"zerolog Interface", func(b *bytes.Buffer) {
			zlog(b).Info().Interface("token", s).Send()
		}, `{"level":"info","token":"` + Mask + `"}` + "\n"},
		{"zerolog Interface of a struct", func(b *bytes.Buffer) {
			zlog(b).Info().Interface("cfg", config{Token: s}).Send()
		}, `{"level":"info","cfg":{"URL":"","Token":"` + Mask + `","Ptr":null}}` + "\n"},
		{"zerolog Stringer", func(b *bytes.Buffer) {
			zlog(b).Info().Stringer("token", s).Send()
		}, `{"level":"info","token":"` + Mask + `"}` + "\n"},
		{"zerolog Str", func(b *bytes.Buffer) {
			zlog(b).Info().Str("token", s.String()).Send()
		}, `{"level":"info","token":"` + Mask + `"}` + "\n"},
		{"zerolog Msgf", func(b *bytes.Buffer) {
			zlog(b).Info().Msgf("token %v", s)
		}, `{"level":"info","message":"token ` + Mask + `"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.log(&b)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("log mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func zlog(b *bytes.Buffer) *zerolog.Logger {
	l := zerolog.New(b)
	return &l
}
