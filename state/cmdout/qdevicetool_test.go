package cmdout

import (
	"strings"
	"testing"
)

func TestParseQDeviceState(t *testing.T) {
	connected := string(readTestdata(t, "qdevicetool", "lab4-connected.txt"))
	tests := []struct {
		name string
		out  string
		want string
	}{
		{"lab §4 both nodes up: tab-separated State line", connected, "Connected"},
		{"lab §4 qnetd dead: a state with a space", string(readTestdata(t, "qdevicetool", "lab4-connect-failed.txt")), "Connect failed"},
		{"reference §2.10 state strings: Connecting", strings.Replace(connected, "\tConnected", "\tConnecting", 1), "Connecting"},
		{"CRLF line ends", strings.ReplaceAll(connected, "\n", "\r\n"), "Connected"},
		{"leading blank line", "\n" + connected, "Connected"},
		{"labels a newer tool adds are ignored", strings.Replace(connected, "State:", "TLS active:\t\tYes (client certificate sent)\nState:", 1), "Connected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQDeviceState([]byte(tt.out))
			if err != nil {
				t.Fatalf("ParseQDeviceState: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseQDeviceStateRejects(t *testing.T) {
	connected := string(readTestdata(t, "qdevicetool", "lab4-connected.txt"))
	tests := []struct {
		name    string
		out     string
		wantErr string
	}{
		{"empty output", "", "no output"},
		{"daemon not running: an error message instead of the status",
			"Can't connect to QDevice socket (is QDevice running?): No such file or directory\n", "is not the \"Qdevice information\" title"},
		{"cut short before the net part", connected[:strings.Index(connected, "Qdevice-net")], "no \"State:\" line"},
		{"empty State value", strings.Replace(connected, "\t\t\tConnected", "\t\t\t", 1), "has no value"},
		{"two State lines", connected + "State:\t\t\tConnected\n", "a second \"State:\" line"},
		{"an indented State is a list row, not the label", strings.Replace(connected, "State:", "    State:", 1), "no \"State:\" line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQDeviceState([]byte(tt.out))
			if err == nil {
				t.Fatalf("got %q, want an error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "corosync-qdevice-tool -s: ") {
				t.Errorf("error %q: want the tool name first and %q in it", err, tt.wantErr)
			}
		})
	}
}
