package sandbox

import "testing"

// TestPackageDirs guards the directories packages ship empty, which the commonest
// Dockerfile lines after an install write into.
func TestPackageDirs(t *testing.T) {
	runToolCases(t, []toolCase{
		{name: "nginx's log directory takes the stdout links; sudo's sudoers.d a drop-in", fs: debianFS,
			script: "apt-get update >/dev/null && apt-get install -y --no-install-recommends nginx sudo supervisor >/dev/null" +
				" && ln -sf /dev/stdout /var/log/nginx/access.log && echo 'dev ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/dev" +
				" && cp /etc/nginx/nginx.conf /etc/supervisor/conf.d/x.conf && ls -d /var/log/supervisor /etc/nginx/conf.d",
			wantOut: []string{"/etc/nginx/conf.d\n/var/log/supervisor\n"},
			links:   map[string]string{"/var/log/nginx/access.log": "/dev/stdout"},
			exist:   []string{"/etc/sudoers.d/dev", "/etc/sudoers.d/README", "/etc/supervisor/conf.d/x.conf"}},
	})
}
