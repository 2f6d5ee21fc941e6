package typo

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"same", "python3", "python3", 0},
		{"one deletion", "pythn3", "python3", 1},
		{"one substitution", "ngnix", "nginx", 1},
		{"adjacent transposition is one edit", "reqeusts", "requests", 1},
		{"transposition inside", "djnago", "django", 1},
		{"insertion and substitution", "linux-headrs", "linux-headers", 1},
		{"unrelated", "redis", "flask", 5},
		{"empty", "", "abc", 3},
		{"transposed then edited counts twice (OSA)", "ca", "abc", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Distance(tc.a, tc.b); got != tc.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Distance(tc.b, tc.a); got != tc.want {
				t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
			}
		})
	}
}
