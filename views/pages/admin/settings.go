package admin

import (
	"strconv"

	"gatehouse/views/components"
)

// SettingsForm is the Settings page: what admins tune while Gatehouse
// runs, by field name, and the blob cleanup section.
type SettingsForm struct {
	CSRF   string
	Fields []SettingField
	Values map[string]string
	Errors map[string]string
	Error  string
	Saved  bool
	Sweep  SweepSection
}

// SettingField is one number on the Settings page.
type SettingField struct {
	Group    string
	Name     string
	Label    string
	Help     string
	Min, Max int
}

// Groups are the field groups in order.
func (m SettingsForm) Groups() []string {
	var out []string
	for _, f := range m.Fields {
		if len(out) == 0 || out[len(out)-1] != f.Group {
			out = append(out, f.Group)
		}
	}
	return out
}

// Field is the form field for f.
func (m SettingsForm) Field(f SettingField) components.FieldProps {
	return components.FieldProps{Label: f.Label, Name: f.Name, Type: "number", Value: m.Values[f.Name], Error: m.Errors[f.Name],
		Help: f.Help, Required: true, Min: strconv.Itoa(f.Min), Max: strconv.Itoa(f.Max)}
}

// SweepSection is the blob cleanup section: the latest sweep, if any.
type SweepSection struct {
	CSRF  string
	Grace string // unreferenced blobs younger than this are kept
	Last  *SweepRun
}

// SweepRun is one sweep as the page shows it.
type SweepRun struct {
	At           components.When
	By           string
	Blobs        int
	BlobBytes    string
	StagingFiles int
	StagingBytes string
	Incomplete   bool
}
