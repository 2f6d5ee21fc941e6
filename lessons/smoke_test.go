package lessons

import "testing"

func TestBuiltinLoads(t *testing.T) {
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.All()) != 2 {
		t.Fatalf("got %d lessons", len(s.All()))
	}
}
