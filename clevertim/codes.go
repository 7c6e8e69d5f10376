package clevertim

import (
	"slices"
	"strings"
)

// The code types below are Clevertim's wire codes. Each lists its codes once,
// in its Values method; Valid and Codes, which validation messages quote,
// come from that list. They stay distinct types, one per GraphQL enum that
// gqlgen.yml binds to them.

// wireCode is a code type; Values lists its codes, whatever the receiver.
type wireCode[T any] interface {
	~string
	Values() []T
}

// Codes lists the codes of type T.
func Codes[T wireCode[T]]() []T {
	var zero T
	return zero.Values()
}

func valid[T wireCode[T]](v T) bool { return slices.Contains(v.Values(), v) }

// CustomerType classifies a contact or company (`ctype`).
type CustomerType string

// Customer type codes.
const (
	CustomerTypeCustomer     CustomerType = "C"
	CustomerTypeProspect     CustomerType = "P"
	CustomerTypeSupplier     CustomerType = "S"
	CustomerTypeReseller     CustomerType = "R"
	CustomerTypeEmployee     CustomerType = "E"
	CustomerTypeCompetitor   CustomerType = "O"
	CustomerTypeConsultant   CustomerType = "N"
	CustomerTypeContractor   CustomerType = "T"
	CustomerTypeDistributor  CustomerType = "D"
	CustomerTypeInfluencer   CustomerType = "X"
	CustomerTypeInvestor     CustomerType = "I"
	CustomerTypeManufacturer CustomerType = "M"
	CustomerTypeRetailer     CustomerType = "A"
	CustomerTypeVendor       CustomerType = "V"
	CustomerTypeWholesaler   CustomerType = "W"
	CustomerTypeLead         CustomerType = "L"
	CustomerTypeFriend       CustomerType = "F"
	CustomerTypeOther        CustomerType = "H"
)

// Values lists the CustomerType codes.
func (CustomerType) Values() []CustomerType {
	return []CustomerType{
		CustomerTypeCustomer, CustomerTypeProspect, CustomerTypeSupplier, CustomerTypeReseller,
		CustomerTypeEmployee, CustomerTypeCompetitor, CustomerTypeConsultant, CustomerTypeContractor,
		CustomerTypeDistributor, CustomerTypeInfluencer, CustomerTypeInvestor, CustomerTypeManufacturer,
		CustomerTypeRetailer, CustomerTypeVendor, CustomerTypeWholesaler, CustomerTypeLead,
		CustomerTypeFriend, CustomerTypeOther,
	}
}

// Valid reports whether t is one of the codes.
func (t CustomerType) Valid() bool { return valid(t) }

// PhoneType is the kind of a phone number.
type PhoneType string

// Phone types.
const (
	PhoneWork   PhoneType = "Work"
	PhoneHome   PhoneType = "Home"
	PhoneMobile PhoneType = "Mobile"
	PhoneFax    PhoneType = "Fax"
	PhonePager  PhoneType = "Pager"
)

// Values lists the PhoneType codes.
func (PhoneType) Values() []PhoneType {
	return []PhoneType{PhoneWork, PhoneHome, PhoneMobile, PhoneFax, PhonePager}
}

// Valid reports whether t is one of the codes.
func (t PhoneType) Valid() bool { return valid(t) }

// SocialVenue is a social network a social media id belongs to.
type SocialVenue string

// Social media venues.
const (
	SocialBitBucket  SocialVenue = "BitBucket"
	SocialFacebook   SocialVenue = "Facebook"
	SocialGithub     SocialVenue = "Github"
	SocialGooglePlus SocialVenue = "Google+"
	SocialInstagram  SocialVenue = "Instagram"
	SocialKik        SocialVenue = "Kik"
	SocialLinkedIn   SocialVenue = "LinkedIn"
	SocialMSN        SocialVenue = "MSN"
	SocialPinterest  SocialVenue = "Pinterest"
	SocialReddit     SocialVenue = "Reddit"
	SocialSkype      SocialVenue = "Skype"
	SocialSnapchat   SocialVenue = "Snapchat"
	SocialTelegram   SocialVenue = "Telegram"
	SocialTwitter    SocialVenue = "Twitter"
	SocialWhatsapp   SocialVenue = "Whatsapp"
	SocialYouTube    SocialVenue = "YouTube"
)

// Values lists the SocialVenue codes.
func (SocialVenue) Values() []SocialVenue {
	return []SocialVenue{
		SocialBitBucket, SocialFacebook, SocialGithub, SocialGooglePlus, SocialInstagram, SocialKik,
		SocialLinkedIn, SocialMSN, SocialPinterest, SocialReddit, SocialSkype, SocialSnapchat,
		SocialTelegram, SocialTwitter, SocialWhatsapp, SocialYouTube,
	}
}

// Valid reports whether v is one of the codes.
func (v SocialVenue) Valid() bool { return valid(v) }

// TaskType is a task's `atype`.
type TaskType string

// Task types.
const (
	TaskAppointment TaskType = "Appointment"
	TaskEmail       TaskType = "Email"
	TaskMeeting     TaskType = "Meeting"
	TaskCall        TaskType = "Call"
	TaskFollowUp    TaskType = "Follow up"
	TaskToDo        TaskType = "TO DO"
	TaskNotSet      TaskType = "Not set"
)

// Values lists the TaskType codes.
func (TaskType) Values() []TaskType {
	return []TaskType{TaskAppointment, TaskEmail, TaskMeeting, TaskCall, TaskFollowUp, TaskToDo, TaskNotSet}
}

// Valid reports whether t is one of the codes.
func (t TaskType) Valid() bool { return valid(t) }

// Recurrence is how often a task repeats (`rec`).
type Recurrence string

// Recurrence codes.
const (
	RecurNone    Recurrence = "N"
	RecurDaily   Recurrence = "D"
	RecurWeekly  Recurrence = "W"
	RecurMonthly Recurrence = "M"
	RecurYearly  Recurrence = "Y"
)

// Values lists the Recurrence codes.
func (Recurrence) Values() []Recurrence {
	return []Recurrence{RecurNone, RecurDaily, RecurWeekly, RecurMonthly, RecurYearly}
}

// Valid reports whether r is one of the codes.
func (r Recurrence) Valid() bool { return valid(r) }

// NoteType is a note's `type`.
type NoteType string

// Note types. NoteEmailDropped is set by the server only.
const (
	NotePlain        NoteType = "N"
	NoteEmailDropped NoteType = "E"
	NoteEmailSent    NoteType = "S"
	NoteSMS          NoteType = "M"
)

// Values lists the NoteType codes.
func (NoteType) Values() []NoteType {
	return []NoteType{NotePlain, NoteEmailDropped, NoteEmailSent, NoteSMS}
}

// SettableNoteTypes lists the note types a client may set.
func SettableNoteTypes() []NoteType { return []NoteType{NotePlain, NoteEmailSent, NoteSMS} }

// Valid reports whether t is one of the codes.
func (t NoteType) Valid() bool { return valid(t) }

// SMSDelivery is the delivery state of an SMS note (`delvry`).
type SMSDelivery string

// SMS delivery states.
const (
	SMSNoDelivery SMSDelivery = "N"
	SMSFailed     SMSDelivery = "F"
	SMSDelivered  SMSDelivery = "S"
)

// Values lists the SMSDelivery codes.
func (SMSDelivery) Values() []SMSDelivery {
	return []SMSDelivery{SMSNoDelivery, SMSFailed, SMSDelivered}
}

// Valid reports whether d is one of the codes.
func (d SMSDelivery) Valid() bool { return valid(d) }

// RecipientStatus says whether an email to a recipient was sent or bounced.
type RecipientStatus string

// Recipient states.
const (
	RecipientSent    RecipientStatus = "s"
	RecipientBounced RecipientStatus = "b"
)

// Values lists the RecipientStatus codes.
func (RecipientStatus) Values() []RecipientStatus {
	return []RecipientStatus{RecipientSent, RecipientBounced}
}

// Valid reports whether s is one of the codes.
func (s RecipientStatus) Valid() bool { return valid(s) }

// CustomFieldType is a custom field's `elemType`.
type CustomFieldType string

// Custom field types.
const (
	FieldInput       CustomFieldType = "input"
	FieldSelect      CustomFieldType = "select"
	FieldDate        CustomFieldType = "date"
	FieldUser        CustomFieldType = "user"
	FieldCountry     CustomFieldType = "country"
	FieldState       CustomFieldType = "state"
	FieldRegion      CustomFieldType = "region"
	FieldContact     CustomFieldType = "contact"
	FieldCompany     CustomFieldType = "company"
	FieldCase        CustomFieldType = "case"
	FieldOpportunity CustomFieldType = "opportunity"
	FieldCurrency    CustomFieldType = "currency"
)

// Values lists the CustomFieldType codes.
func (CustomFieldType) Values() []CustomFieldType {
	return []CustomFieldType{
		FieldInput, FieldSelect, FieldDate, FieldUser, FieldCountry, FieldState, FieldRegion,
		FieldContact, FieldCompany, FieldCase, FieldOpportunity, FieldCurrency,
	}
}

// Valid reports whether t is one of the codes.
func (t CustomFieldType) Valid() bool { return valid(t) }

// IsReference reports whether values of this type are record ids.
func (t CustomFieldType) IsReference() bool {
	switch t {
	case FieldUser, FieldContact, FieldCompany, FieldCase, FieldOpportunity:
		return true
	}
	return false
}

// CustomFieldScope says which records a custom field applies to.
type CustomFieldScope string

// Custom field scopes.
const (
	ScopeCustomers     CustomFieldScope = "customers"
	ScopeCompanies     CustomFieldScope = "companies"
	ScopeCases         CustomFieldScope = "cases"
	ScopeOpportunities CustomFieldScope = "opportunities"
)

// Values lists the CustomFieldScope codes.
func (CustomFieldScope) Values() []CustomFieldScope {
	return []CustomFieldScope{ScopeCustomers, ScopeCompanies, ScopeCases, ScopeOpportunities}
}

// Valid reports whether s is one of the codes.
func (s CustomFieldScope) Valid() bool { return valid(s) }

// Permission is a user's right.
type Permission string

// Permissions.
const (
	PermissionEdit    Permission = "canedit"
	PermissionDelete  Permission = "candelete"
	PermissionExport  Permission = "canexport"
	PermissionPending Permission = "pending"
)

// Valid reports whether p is one of the codes.
func (p Permission) Valid() bool { return valid(p) }

// Values lists the Permission codes.
func (Permission) Values() []Permission {
	return []Permission{PermissionEdit, PermissionDelete, PermissionExport, PermissionPending}
}

// quoteAll renders allowed values for an error message.
func quoteAll[T ~string](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "\"" + string(v) + "\""
	}
	return strings.Join(parts, ", ")
}
