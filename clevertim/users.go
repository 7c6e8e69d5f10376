package clevertim

import "slices"

// User is a member of the account. Users are read only through the API.
type User struct {
	Record
	Name        string       `json:"user"`
	Email       string       `json:"email"`
	IsOwner     bool         `json:"is_owner"`
	IsAdmin     bool         `json:"is_admin"`
	Permissions []Permission `json:"permissions"`
}

// Can reports whether the user holds p; owners and admins hold every
// permission but "pending".
func (u *User) Can(p Permission) bool {
	if (u.IsOwner || u.IsAdmin) && p != PermissionPending {
		return true
	}
	return slices.Contains(u.Permissions, p)
}

// Group is a set of users that records can be shared with. Groups are read
// only through the API.
type Group struct {
	Record
	Name    string `json:"name"`
	Bit     int    `json:"gid"`
	UserIDs IDList `json:"users"`
}

// IsPending reports whether the user was invited and has not joined yet.
func (u *User) IsPending() bool { return slices.Contains(u.Permissions, PermissionPending) }
