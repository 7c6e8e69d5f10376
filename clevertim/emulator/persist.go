package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltStore keeps the account in a bbolt file so that a local CRM survives
// a restart. Each record is one JSON value under "resource/id".
type boltStore struct{ db *bolt.DB }

var (
	bucketRecords = []byte("records")
	bucketMeta    = []byte("meta")
	keyNextID     = []byte("nextID")
)

func openBolt(path string) (*boltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("emulator: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("emulator: prepare %s: %w", path, err)
	}
	return &boltStore{db: db}, nil
}

func recordKey(resource, id string) []byte { return []byte(resource + "/" + id) }

func (b *boltStore) put(resource, id string, rec record, nextID int64) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketRecords).Put(recordKey(resource, id), data); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyNextID, []byte(strconv.FormatInt(nextID, 10)))
	})
}

func (b *boltStore) del(resource, id string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).Delete(recordKey(resource, id))
	})
}

// load reads every stored record into s. It reports false when the file
// holds no account yet.
func (b *boltStore) load(s *store) (bool, error) {
	found := false
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyNextID); v != nil {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("corrupt next id %q", v)
			}
			s.nextID, found = n, true
		}
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			resource, id, ok := bytes.Cut(k, []byte("/"))
			sp := s.specs[string(resource)]
			if !ok || sp == nil {
				return fmt.Errorf("corrupt key %q", k)
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var rec record
			if err := dec.Decode(&rec); err != nil {
				return fmt.Errorf("record %s: %w", k, err)
			}
			s.insert(sp, string(id), rec)
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("emulator: load: %w", err)
	}
	// Keys come back in byte order; lists are served in id order.
	for _, t := range s.tables {
		slices.SortFunc(t.order, compareIDs)
	}
	return found, nil
}

// saveAll writes the whole account, after seeding a new file.
func (b *boltStore) saveAll(s *store) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bucket := tx.Bucket(bucketRecords)
		for name, t := range s.tables {
			for _, id := range t.order {
				data, err := json.Marshal(t.byID[id])
				if err != nil {
					return err
				}
				if err := bucket.Put(recordKey(name, id), data); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyNextID, []byte(strconv.FormatInt(s.nextID, 10)))
	})
}

func (b *boltStore) close() error { return b.db.Close() }
