package service

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
	"unicode"
)

// Label is the launchd label of the service.
func (s Spec) Label() string { return "md.scribe." + s.Name }

var plistTmpl = template.Must(template.New("plist").Funcs(template.FuncMap{
	"x": func(s string) (string, error) {
		var b strings.Builder
		err := xml.EscapeText(&b, []byte(s))
		return b.String(), err
	},
}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by scribe service install; scribe service uninstall removes it. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{{x .Label}}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{{x .Binary}}</string>
		<string>watch</string>
		<string>-c</string>
		<string>{{x .Config}}</string>
	</array>
	<key>WorkingDirectory</key>
	<string>{{x .WorkDir}}</string>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ProcessType</key>
	<string>Background</string>
	<key>ExitTimeOut</key>
	<integer>{{.StopSeconds}}</integer>
	<key>StandardOutPath</key>
	<string>{{x .Log}}</string>
	<key>StandardErrorPath</key>
	<string>{{x .Log}}</string>
</dict>
</plist>
`))

// Plist renders the launchd agent of s, logging to logFile (absolute). It
// has not been run on macOS by the project's tests.
func Plist(s Spec, logFile string) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(logFile) || strings.ContainsFunc(logFile, unicode.IsControl) {
		return nil, fmt.Errorf("log file %q must be an absolute path without control characters", logFile)
	}
	s = s.withDefaults()
	var b bytes.Buffer
	err := plistTmpl.Execute(&b, struct {
		Spec
		Log         string
		StopSeconds int
	}{s, logFile, int((s.StopTimeout + 999_999_999) / 1_000_000_000)})
	return b.Bytes(), err
}
