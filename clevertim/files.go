package clevertim

// Folder organises files.
type Folder struct {
	Record
	Name     string `json:"name"`
	ParentID *ID    `json:"parentId"`
	IsDir    bool   `json:"is_dir"`
}

// Validate checks the folder before sending.
func (f *Folder) Validate() error { return required("name", f.Name) }

// File is a document stored in Clevertim.
type File struct {
	Record
	Name     string `json:"name"`
	ParentID *ID    `json:"parentId"`
}

// Validate checks the file before sending.
func (f *File) Validate() error { return required("name", f.Name) }

// LinkedFile is a document kept in another system.
type LinkedFile struct {
	Record
	Name string `json:"name"`
	// System is where the file lives: "D" Dropbox, "G" Google Drive.
	System string `json:"sys"`
	Size   int64  `json:"size"`
	Link   string `json:"link"`
	Icon   string `json:"icon"`
}

// Validate checks the linked file before sending.
func (f *LinkedFile) Validate() error { return required("name", f.Name) }
