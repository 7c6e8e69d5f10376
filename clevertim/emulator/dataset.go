package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// OwnerKey is the owner's API key in the demo account: the illustration key
// from the Clevertim documentation.
const OwnerKey = "ITHkCPbXdOWfGNTj5qOzNJkceftfRWwGXtrU39exmW0UzVwKUiZ1343"

// DemoUser is a user of the demo account and the key to act as them.
type DemoUser struct {
	ID     string
	Name   string
	Email  string
	Role   string // what the user is there to show
	APIKey string
}

// DemoUsers lists the fixed users of the demo account, in id order.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{"1", "Alice Morgan", "alice@example.com", "owner: every permission", OwnerKey},
		{"2", "Ben Carter", "ben@example.com", "admin: every permission, in Support and Management", "demo-admin-key"},
		{"3", "Chloe Diaz", "chloe@example.com", "editor: can edit, cannot delete; in Sales", "demo-editor-key"},
		{"4", "Dan Evans", "dan@example.com", "read only: can export, cannot edit or delete", "demo-readonly-key"},
		{"5", "Erin Fox", "erin@example.com", "sales rep: can edit and delete, in Sales; owns private records", "demo-sales-key"},
		{"6", "Frank Green", "frank@example.com", "pending invitation: no permissions", "demo-pending-key"},
	}
}

// Sizes sets how many records of each kind the demo account has.
type Sizes struct {
	Contacts, Companies, Opportunities, Cases, Tasks, Notes, Comments int
	// ExtraUsers are sales reps added to the six demo users.
	ExtraUsers int
}

// DefaultSizes is a small, believable account.
func DefaultSizes() Sizes {
	return Sizes{Contacts: 50, Companies: 15, Opportunities: 24, Cases: 10, Tasks: 42, Notes: 60, Comments: 45}
}

// BenchmarkSizes is the larger account the performance benchmarks use.
func BenchmarkSizes() Sizes {
	return Sizes{Contacts: 1000, Companies: 200, Opportunities: 500, Cases: 300, Tasks: 2000, Notes: 3000,
		Comments: 3000, ExtraUsers: 4}
}

// Demo group bits.
const (
	GroupSales      = 2
	GroupSupport    = 4
	GroupManagement = 8
)

var (
	firstNames = []string{"Ava", "Liam", "Mia", "Noah", "Zoe", "Omar", "Ines", "Kenji", "Lena", "Marco",
		"Priya", "Sven", "Tara", "Yusuf", "Hana", "Diego", "Elif", "Felix", "Greta", "Ivan"}
	lastNames = []string{"Adams", "Baker", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
		"Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi",
		"Schmidt", "Tanaka"}
	companyWords = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
		"Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Aperture"}
	companySuffixes = []string{"Ltd", "GmbH", "Inc", "SA", "BV"}
	cities          = []string{"London", "Berlin", "Paris", "Madrid", "Tampa", "Austin", "Dublin", "Lyon"}
	regions         = []string{"GB-LND", "DE-BE", "FR-IDF", "ES-MD", "US-FL", "US-TX", "IE-D", "FR-ARA"}
	countries       = []string{"GB", "DE", "FR", "ES", "US", "US", "IE", "FR"}
	currencies      = []string{"EUR", "USD", "GBP"}
	tagWords        = []string{"vip", "newsletter", "partner", "trade-show", "renewal", "churn-risk"}
	statuses        = []string{"Open", "Won", "Lost", "Closed", "Open", "Open"}
	noteTypes       = []string{"N", "E", "S", "M", "N", "N"}
)

// seed fills an empty store with the demo account. It is deterministic for a
// given seed and sizes.
func seed(s *store, sizes Sizes, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var clock int
	g := &generator{s: s, rng: rng, base: base, clock: &clock}

	users := DemoUsers()
	for i := range sizes.ExtraUsers {
		n := i + 7
		users = append(users, DemoUser{fmt.Sprint(n), fmt.Sprintf("%s %s", pick(rng, firstNames), pick(rng, lastNames)),
			fmt.Sprintf("rep%d@example.com", n), "sales rep in Sales", fmt.Sprintf("demo-rep%d-key", n)})
	}
	perms := map[string][]any{"1": {}, "2": {}, "3": {"canedit", "canexport"}, "4": {"canexport"},
		"5": {"canedit", "candelete", "canexport"}, "6": {"pending"}}
	for _, u := range users {
		p, ok := perms[u.ID]
		if !ok {
			p = []any{"canedit", "candelete"}
		}
		g.put("user", u.ID, record{"user": u.Name, "email": u.Email, "is_owner": u.ID == "1",
			"is_admin": u.ID == "2", "permissions": p, hiddenKey: u.APIKey}, "1")
	}
	sales := []any{json.Number("3"), json.Number("5")}
	for _, u := range users[6:] {
		sales = append(sales, json.Number(u.ID))
	}
	g.put("group", "101", record{"name": "Sales", "gid": json.Number("2"), "users": sales}, "1")
	g.put("group", "102", record{"name": "Support", "gid": json.Number("4"), "users": []any{json.Number("2")}}, "1")
	g.put("group", "103", record{"name": "Management", "gid": json.Number("8"),
		"users": []any{json.Number("1"), json.Number("2")}}, "1")
	s.nextID = 1000

	type cfDef struct {
		name, typ string
		scopes    []any
		multiple  bool
		options   []any
	}
	defs := []cfDef{
		{"Industry", "select", []any{"customers", "companies"}, false, []any{"Software", "Retail", "Manufacturing", "Finance", "Healthcare"}},
		{"Interests", "select", []any{"customers"}, true, []any{"Newsletter", "Events", "Webinars", "Beta"}},
		{"Birthday", "date", []any{"customers"}, false, nil},
		{"Account manager", "user", []any{"customers", "companies"}, false, nil},
		{"Home country", "country", []any{"customers"}, false, nil},
		{"State", "state", []any{"customers"}, false, nil},
		{"Sales region", "region", []any{"companies", "opportunities"}, false, nil},
		{"Referred by", "contact", []any{"customers", "opportunities"}, false, nil},
		{"Parent company", "company", []any{"companies"}, false, nil},
		{"Related case", "case", []any{"opportunities"}, false, nil},
		{"Upsell of", "opportunity", []any{"opportunities", "cases"}, false, nil},
		{"Budget currency", "currency", []any{"opportunities"}, false, nil},
		{"Severity", "select", []any{"cases"}, false, []any{"Low", "Medium", "High", "Critical"}},
		{"Ticket code", "input", []any{"cases"}, false, nil},
	}
	cf := map[string]string{}
	for _, d := range defs {
		opts := d.options
		if opts == nil {
			opts = []any{}
		}
		id := g.create("customfield", record{"name": d.name, "fullname": d.name, "elemType": d.typ,
			"modelType": d.scopes, "multiple": d.multiple, "values": opts, "app": "crm"}, "1")
		cf[d.name] = id
	}

	companies := make([]string, 0, sizes.Companies)
	// Records link to customers everyone may see, so that the demo's links
	// resolve for every user; the visibility tests make their own cases.
	var publicCompanies, publicContacts []string
	for i := range sizes.Companies {
		city := i % len(cities)
		values := map[string]any{cf["Industry"]: pick(rng, []string{"Software", "Retail", "Manufacturing", "Finance", "Healthcare"}),
			cf["Account manager"]: fmt.Sprint(1 + i%5), cf["Sales region"]: regions[city]}
		if len(companies) > 0 && i%4 == 0 {
			values[cf["Parent company"]] = companies[0]
		}
		name := companyWords[i%len(companyWords)]
		if i >= len(companyWords) {
			name = fmt.Sprintf("%s %d", name, i/len(companyWords)+1)
		}
		rec := record{"cn": name + " " + companySuffixes[i%len(companySuffixes)],
			"description": "A " + strings.ToLower(values[cf["Industry"]].(string)) + " business in " + cities[city],
			"email":       []any{"info@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"},
			"phones":      []any{map[string]any{"type": "Work", "no": fmt.Sprintf("+44 20 7946 %04d", i)}},
			"website":     []any{"https://" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"},
			"address":     fmt.Sprintf("%d Market Street", 10+i), "city": cities[city],
			"postcode": fmt.Sprintf("%05d", 10000+i*7), "region": regions[city], "country": countries[city],
			"ctype": customerTypes[i%len(customerTypes)], "cf": values,
			"tags": []any{tagWords[i%len(tagWords)]}}
		if i%5 == 0 {
			rec["cphoto"] = fmt.Sprintf("logo%d.png", i)
		}
		creator := "1"
		if i%6 == 5 {
			rec["gid"] = json.Number(fmt.Sprint(GroupSales))
		}
		id := g.create("company", rec, creator)
		companies = append(companies, id)
		if rec["gid"] == nil {
			publicCompanies = append(publicCompanies, id)
		}
	}

	contacts := make([]string, 0, sizes.Contacts)
	for i := range sizes.Contacts {
		fn, ln := firstNames[i%len(firstNames)], lastNames[(i*7+i/len(firstNames))%len(lastNames)]
		city := rng.IntN(len(cities))
		values := map[string]any{cf["Birthday"]: fmt.Sprintf("19%02d-%02d-%02d", 60+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28)),
			cf["Home country"]: countries[city], cf["Account manager"]: fmt.Sprint(1 + rng.IntN(5))}
		if i%3 == 0 {
			values[cf["Interests"]] = []any{"Newsletter", pick(rng, []string{"Events", "Webinars", "Beta"})}
		}
		if i%4 == 0 {
			values[cf["Industry"]] = "Software"
		}
		if len(contacts) > 0 && i%5 == 0 {
			values[cf["Referred by"]] = contacts[rng.IntN(len(contacts))]
		}
		if countries[city] == "US" {
			values[cf["State"]] = regions[city][3:]
		}
		email := strings.ToLower(fmt.Sprintf("%s.%s%d@mail.example", fn, ln, i))
		rec := record{"fn": fn, "ln": ln, "title": pick(rng, []string{"CEO", "CTO", "Buyer", "Engineer", "Office manager", "Sales lead"}),
			"email":  []any{email},
			"phones": []any{map[string]any{"type": pick(rng, phoneTypes), "no": fmt.Sprintf("+1 555 %04d", i)}},
			"smids":  []any{map[string]any{"type": pick(rng, socialVenues), "smid": strings.ToLower(fn + ln)}},
			"city":   cities[city], "region": regions[city], "country": countries[city],
			"address": fmt.Sprintf("%d Baker Street", 1+i), "postcode": fmt.Sprintf("%05d", 20000+i*3),
			"ctype": customerTypes[rng.IntN(len(customerTypes))], "cf": values,
			"tags": []any{tagWords[i%len(tagWords)], tagWords[(i+2)%len(tagWords)]}}
		if len(companies) > 0 && i%5 != 4 {
			rec["companyId"] = json.Number(companies[rng.IntN(len(companies))])
		}
		if i%3 == 1 {
			rec["lc"] = base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		}
		if i%4 == 2 {
			rec["cphoto"] = fmt.Sprintf("photo%d.jpg", i)
		}
		creator := "1"
		switch {
		case i%11 == 10:
			creator = "5"
			rec["is_private"], rec["puser"] = true, json.Number("5")
		case i%7 == 6:
			rec["gid"] = json.Number(fmt.Sprint(GroupSales))
		}
		id := g.create("contact", rec, creator)
		contacts = append(contacts, id)
		if rec["gid"] == nil && rec["is_private"] == nil {
			publicContacts = append(publicContacts, id)
		}
	}
	anyCustomer := func() any {
		// Contacts are the usual customers; companies come up now and then.
		if len(publicCompanies) > 0 && (rng.IntN(4) == 0 || len(publicContacts) == 0) {
			return json.Number(publicCompanies[rng.IntN(len(publicCompanies))])
		}
		if len(publicContacts) == 0 {
			return nil
		}
		return json.Number(publicContacts[rng.IntN(len(publicContacts))])
	}
	lead := func() any { return json.Number(fmt.Sprint(1 + rng.IntN(5))) }

	opps := make([]string, 0, sizes.Opportunities)
	cases := make([]string, 0, sizes.Cases)
	for i := range sizes.Cases {
		values := map[string]any{cf["Severity"]: pick(rng, []string{"Low", "Medium", "High", "Critical"}),
			cf["Ticket code"]: fmt.Sprintf("T-%04d", i)}
		rec := record{"name": pick(rng, []string{"Login fails", "Invoice wrong", "Slow export", "Data import", "Billing question", "Feature request"}) + fmt.Sprintf(" #%d", i+1),
			"description": "Reported by the customer on the phone.", "leadUser": lead(), "cust": anyCustomer(),
			"cf": values, "tags": []any{pick(rng, tagWords)}}
		creator := "2"
		if i%5 == 4 {
			rec["gid"] = json.Number(fmt.Sprint(GroupSupport))
		}
		cases = append(cases, g.create("case", rec, creator))
	}
	for i := range sizes.Opportunities {
		values := map[string]any{cf["Budget currency"]: pick(rng, currencies), cf["Sales region"]: pick(rng, regions)}
		if len(contacts) > 0 && i%3 == 0 {
			values[cf["Referred by"]] = contacts[rng.IntN(len(contacts))]
		}
		if len(cases) > 0 && i%4 == 1 {
			values[cf["Related case"]] = cases[rng.IntN(len(cases))]
		}
		if len(opps) > 0 && i%5 == 2 {
			values[cf["Upsell of"]] = opps[rng.IntN(len(opps))]
		}
		rec := record{"name": pick(rng, []string{"Annual licence", "Pilot", "Expansion", "Renewal", "Consulting", "Hardware"}) + fmt.Sprintf(" %d", 2026+i%2),
			"description": "Discussed in the last call.", "status": statuses[i%len(statuses)],
			"leadUser": lead(), "value": fmt.Sprintf("%d.%02d", 500+rng.IntN(50000), rng.IntN(100)),
			"currency": pick(rng, currencies), "cust": anyCustomer(), "cf": values, "tags": []any{pick(rng, tagWords)}}
		creator := "1"
		switch {
		case i%8 == 7:
			rec["gid"] = json.Number(fmt.Sprint(GroupSales))
		case i%13 == 12:
			creator = "5"
			rec["is_private"] = true
		}
		opps = append(opps, g.create("opportunity", rec, creator))
	}

	tasks := make([]string, 0, sizes.Tasks)
	for i := range sizes.Tasks {
		start := base.Add(time.Duration(i*5) * time.Hour)
		sd := map[string]any{"y": json.Number(fmt.Sprint(start.Year())), "mo": json.Number(fmt.Sprint(int(start.Month()))),
			"d": json.Number(fmt.Sprint(start.Day()))}
		if i%2 == 0 {
			sd["h"], sd["mi"] = json.Number(fmt.Sprint(start.Hour())), json.Number(fmt.Sprint((i*15)%60))
		}
		rec := record{"name": pick(rng, []string{"Call back", "Send proposal", "Demo", "Check in", "Prepare contract", "Follow up on invoice"}),
			"atype": taskTypes[i%len(taskTypes)], "location": pick(rng, []string{"", "Office", "Zoom", "Client site"}),
			"cust": anyCustomer(), "aUserId": lead(), "startDate": sd, "is_completed": i%4 == 3,
			"rec": recurrences[i%len(recurrences)], "recevery": json.Number(fmt.Sprint(1 + i%3))}
		if i%3 == 0 {
			end := start.Add(24 * time.Hour)
			rec["endDate"] = map[string]any{"y": json.Number(fmt.Sprint(end.Year())), "mo": json.Number(fmt.Sprint(int(end.Month()))),
				"d": json.Number(fmt.Sprint(end.Day()))}
		}
		if i%5 == 1 {
			rec["recopts"] = map[string]any{"type": "weekday"}
		}
		if len(opps) > 0 && i%3 == 1 {
			rec["opp"] = json.Number(opps[rng.IntN(len(opps))])
		}
		if len(cases) > 0 && i%4 == 2 {
			rec["case"] = json.Number(cases[rng.IntN(len(cases))])
		}
		creator := "1"
		if i%9 == 8 {
			creator = "5"
			rec["is_private"] = true
		}
		tasks = append(tasks, g.create("task", rec, creator))
	}

	notes := make([]string, 0, sizes.Notes)
	for i := range sizes.Notes {
		typ := noteTypes[i%len(noteTypes)]
		cust := []any{}
		if c := anyCustomer(); c != nil {
			cust = append(cust, c)
		}
		if i%10 == 3 {
			if c := anyCustomer(); c != nil && idKey(c) != idKey(cust[0]) {
				cust = append(cust, c)
			}
		}
		rec := record{"desc": pick(rng, []string{"Spoke about pricing.\nThey want a discount for two years.",
			"Sent the brochure.", "Meeting went well; next step is a trial.", "Asked for references.",
			"Complained about response times.", "Interested in the premium plan."}),
			"type": typ, "cust": cust}
		if len(opps) > 0 && i%3 == 0 {
			rec["opportunity"] = json.Number(opps[rng.IntN(len(opps))])
		}
		if len(cases) > 0 && i%5 == 1 {
			rec["case"] = json.Number(cases[rng.IntN(len(cases))])
		}
		switch typ {
		case "E", "S":
			to := map[string]any{"e": fmt.Sprintf("client%d@mail.example", i), "s": "s", "t": nil}
			if i%4 == 1 {
				to = map[string]any{"e": fmt.Sprintf("old%d@mail.example", i), "s": "b", "t": "mailbox does not exist"}
			}
			rec["email"] = map[string]any{"f": "alice@example.com", "s": "Re: your enquiry",
				"t": []any{to}, "c": []any{map[string]any{"e": "ben@example.com", "s": "s", "t": nil}}, "b": []any{}}
		case "M":
			rec["delvry"] = []string{"N", "F", "S"}[i%3]
		}
		creator := "1"
		switch {
		case i%9 == 8:
			rec["is_private"] = true
		case i%6 == 5:
			rec["gid"] = json.Number(fmt.Sprint(GroupSales))
		case i%10 == 7:
			creator = "5"
			rec["is_private"] = true
		}
		notes = append(notes, g.create("note", rec, creator))
	}

	for i := range sizes.Comments {
		rec := record{"comment": pick(rng, []string{"Agreed.", "I will call them tomorrow.", "Done.", "Can you check the invoice?", "Good news!"})}
		if len(tasks) > 0 && (i%4 == 3 || len(notes) == 0) {
			rec["tid"] = json.Number(tasks[rng.IntN(len(tasks))])
		} else if len(notes) > 0 {
			rec["nid"] = json.Number(notes[rng.IntN(len(notes))])
		} else {
			continue
		}
		g.create("comment", rec, fmt.Sprint(1+rng.IntN(5)))
	}
	docs := g.create("folder", record{"name": "Contracts"}, "1")
	g.create("folder", record{"name": "Signed", "parentId": docs}, "1")
	g.create("file", record{"name": "msa-template.docx", "parentId": docs}, "1")
	g.create("file", record{"name": "price-list-2026.pdf"}, "1")
	g.create("linkedfile", record{"name": "Roadmap", "size": json.Number("48213"),
		"link": "https://docs.example/roadmap", "icon": "doc"}, "1")
	s.nextID += 1000 // a visible gap between the demo data and what users create
}

type generator struct {
	s     *store
	rng   *rand.Rand
	base  time.Time
	clock *int
}

func (g *generator) stamp() string {
	*g.clock++
	return g.base.Add(time.Duration(*g.clock) * 17 * time.Minute).Format(time.RFC3339)
}

// put stores a record with a fixed id.
func (g *generator) put(resource, id string, values record, creator string) {
	sp := g.s.specs[resource]
	rec := record{}
	for _, f := range sp.fields {
		rec[f.name] = f.def
	}
	for k, v := range values {
		rec[k] = v
	}
	rec[hiddenCreator] = json.Number(creator)
	g.s.derive(sp, rec)
	ts := g.stamp()
	rec["id"], rec["ao"], rec["lm"] = idValue(id), ts, ts
	g.s.insert(sp, id, rec)
}

// create stores a record under the next id and returns the id.
func (g *generator) create(resource string, values record, creator string) string {
	g.s.nextID++
	id := g.s.specs[resource].stringIDs + fmt.Sprint(g.s.nextID)
	g.put(resource, id, values, creator)
	return id
}

func pick[T any](rng *rand.Rand, items []T) T { return items[rng.IntN(len(items))] }
