package clevertim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Record holds the fields every stored record carries.
type Record struct {
	ID           ID        `json:"id"`
	AddedOn      time.Time `json:"ao"`
	LastModified time.Time `json:"lm"`
}

// Visibility says who may see a record: only PrivateTo when IsPrivate, else
// its creator and the members of the groups in GroupMask, else everyone.
type Visibility struct {
	IsPrivate bool      `json:"is_private"`
	PrivateTo *ID       `json:"puser"`
	GroupMask GroupMask `json:"gid"`
}

// GroupMask is the OR of the `gid` bits of the groups that may see a record;
// 0 means everyone.
type GroupMask int

// UnmarshalJSON accepts a number, a numeric string or null.
func (m *GroupMask) UnmarshalJSON(data []byte) error {
	var n flexInt
	if err := n.UnmarshalJSON(data); err != nil {
		return err
	}
	*m = GroupMask(n)
	return nil
}

// Has reports whether the group with bit gid is in the mask.
func (m GroupMask) Has(gid int) bool { return int(m)&gid != 0 }

// Phone is one phone number of a contact or company.
type Phone struct {
	Type   PhoneType `json:"type"`
	Number string    `json:"no"`
}

// SocialMediaID is a handle on a social network.
type SocialMediaID struct {
	Venue  SocialVenue `json:"type"`
	Handle string      `json:"smid"`
}

// Customer holds what contacts and companies share. A reference to a
// customer elsewhere (`cust`) may name either.
type Customer struct {
	Record
	Visibility
	Description    string            `json:"description"`
	Emails         StringList        `json:"email"`
	Phones         []Phone           `json:"phones"`
	Websites       StringList        `json:"website"`
	Address        string            `json:"address"`
	City           string            `json:"city"`
	Postcode       string            `json:"postcode"`
	Region         string            `json:"region"`
	Country        string            `json:"country"`
	SocialMedia    []SocialMediaID   `json:"smids"`
	CustomerType   *CustomerType     `json:"ctype"`
	CustomFields   CustomFieldValues `json:"cf"`
	Tags           StringList        `json:"tags"`
	NoteIDs        IDList            `json:"notes"`
	OpportunityIDs IDList            `json:"opportunities"`
	TaskIDs        IDList            `json:"tasks"`
	CaseIDs        IDList            `json:"cases"`
	FileIDs        IDList            `json:"files"`
	LinkedFileIDs  IDList            `json:"lfiles"`
	LastContacted  *time.Time        `json:"lc"`
	PhotoFile      string            `json:"cphoto"`
}

func (c *Customer) validate() error {
	for i, p := range c.Phones {
		if !p.Type.Valid() {
			return invalid(indexed("phones", i, "type"), "%q is not a phone type; use one of %s", p.Type, quoteAll(Codes[PhoneType]()))
		}
		if strings.TrimSpace(p.Number) == "" {
			return invalid(indexed("phones", i, "number"), "is required")
		}
	}
	for i, s := range c.SocialMedia {
		if !s.Venue.Valid() {
			return invalid(indexed("socialMedia", i, "venue"), "%q is not a social media venue; use one of %s", s.Venue, quoteAll(Codes[SocialVenue]()))
		}
		if strings.TrimSpace(s.Handle) == "" {
			return invalid(indexed("socialMedia", i, "handle"), "is required")
		}
	}
	if c.CustomerType != nil && !c.CustomerType.Valid() {
		return invalid("customerType", "%q is not a customer type code; use one of %s", *c.CustomerType, quoteAll(Codes[CustomerType]()))
	}
	for i, e := range c.Emails {
		if !strings.Contains(e, "@") {
			return invalid(indexed("emails", i, ""), "%q is not an email address", e)
		}
	}
	return nil
}

// CustomFieldValues maps a custom field's id to the record's value for it.
type CustomFieldValues map[ID]CustomFieldValue

// MarshalJSON writes {} rather than null for no values.
func (v CustomFieldValues) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[ID]CustomFieldValue(v))
}

// CustomFieldValue is one record's value for a custom field: one string, or a
// list of strings for a field that takes several.
type CustomFieldValue struct {
	Values []string
	// List is true when the value is (or must be sent as) a list.
	List bool
}

// Text is the value as one string; a list is joined with ", ".
func (v CustomFieldValue) Text() string { return strings.Join(v.Values, ", ") }

// MarshalJSON writes a string, a list, or null for an empty single value.
func (v CustomFieldValue) MarshalJSON() ([]byte, error) {
	if v.List {
		return StringList(v.Values).MarshalJSON()
	}
	if len(v.Values) == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(v.Values[0])
}

// UnmarshalJSON accepts a string, a number, a list of either, or null.
func (v *CustomFieldValue) UnmarshalJSON(data []byte) error {
	var l StringList
	if err := l.UnmarshalJSON(data); err != nil {
		return err
	}
	trimmed := strings.TrimSpace(string(data))
	*v = CustomFieldValue{Values: []string(l), List: strings.HasPrefix(trimmed, "[")}
	return nil
}

func indexed(list string, i int, field string) string {
	s := list + "[" + strconv.Itoa(i) + "]"
	if field != "" {
		s += "." + field
	}
	return s
}

func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalid(field, "is required")
	}
	return nil
}

// Address is a customer's postal address.
type Address struct {
	Street   string
	City     string
	Postcode string
	Region   string
	Country  string
}

// PostalAddress gathers the address fields.
func (c *Customer) PostalAddress() Address {
	return Address{Street: c.Address, City: c.City, Postcode: c.Postcode, Region: c.Region, Country: c.Country}
}
