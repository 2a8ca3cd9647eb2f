package access

// CanReadPage reports whether the subject may read a catalog page whose read
// permission is read. Admins read every page.
func CanReadPage(s Subject, read Grants) bool {
	return s.IsAdmin() || read.Includes(s)
}
