package baseimage

import "strings"

// nginxRelease is one served nginx line.
type nginxRelease struct {
	version string // "1.27.4"
	njs     string
	created string
}

// Bytes the nginx layers add.
const (
	nginxDebianSize     = 115_000_000 // nginx, njs, the dynamic modules, gettext-base, curl
	nginxAlpineSlimSize = 3_500_000   // nginx itself (the -alpine-slim step)
	nginxAlpineSize     = 36_600_000  // njs, modules, curl: the -alpine step
)

const nginxConf = `
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
`

const nginxDefaultConf = `server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }

    # proxy the PHP scripts to Apache listening on 127.0.0.1:80
    #
    #location ~ \.php$ {
    #    proxy_pass   http://127.0.0.1;
    #}

    # pass the PHP scripts to FastCGI server listening on 127.0.0.1:9000
    #
    #location ~ \.php$ {
    #    root           html;
    #    fastcgi_pass   127.0.0.1:9000;
    #    fastcgi_index  index.php;
    #    fastcgi_param  SCRIPT_FILENAME  /scripts$fastcgi_script_name;
    #    include        fastcgi_params;
    #}

    # deny access to .htaccess files, if Apache's document root
    # concurs with nginx's one
    #
    #location ~ /\.ht {
    #    deny  all;
    #}
}

`

const nginxIndex = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

const nginx50x = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
`

const nginxEntrypoint = `#!/bin/sh
# vim:sw=4:ts=4:et

set -e

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    if /usr/bin/find "/docker-entrypoint.d/" -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read v; then
        entrypoint_log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"

        entrypoint_log "$0: Looking for shell scripts in /docker-entrypoint.d/"
        find "/docker-entrypoint.d/" -follow -type f -print | sort -V | while read -r f; do
            case "$f" in
                *.envsh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Sourcing $f";
                        . "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *.sh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Launching $f";
                        "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *) entrypoint_log "$0: Ignoring $f";;
            esac
        done

        entrypoint_log "$0: Configuration complete; ready for start up"
    else
        entrypoint_log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi

exec "$@"
`

// nginxScripts are the /docker-entrypoint.d scripts (abbreviated bodies).
var nginxScripts = []struct{ name, text string }{
	{"10-listen-on-ipv6-by-default.sh", "#!/bin/sh\n# vim:sw=4:ts=4:et\n\nset -e\n\nentrypoint_log() {\n    if [ -z \"${NGINX_ENTRYPOINT_QUIET_LOGS:-}\" ]; then\n        echo \"$@\"\n    fi\n}\n\nME=$(basename \"$0\")\nDEFAULT_CONF_FILE=\"etc/nginx/conf.d/default.conf\"\n\n# check if we have ipv6 available\nif [ ! -f \"/proc/net/if_inet6\" ]; then\n    entrypoint_log \"$ME: info: ipv6 not available\"\n    exit 0\nfi\n\nif [ ! -f \"/$DEFAULT_CONF_FILE\" ]; then\n    entrypoint_log \"$ME: info: /$DEFAULT_CONF_FILE is not a file or does not exist\"\n    exit 0\nfi\n\nsed -i -E 's,listen       80;,listen       80;\\n    listen  [::]:80;,' /$DEFAULT_CONF_FILE\n\nentrypoint_log \"$ME: info: Enabled listen on IPv6 in /$DEFAULT_CONF_FILE\"\n\nexit 0\n"},
	{"15-local-resolvers.envsh", "#!/bin/sh\n# vim:sw=2:ts=2:sts=2:et\n\nset -eu\n\nLC_ALL=C\nPATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\n[ \"${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}\" ] || return 0\n\nNGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=\" \"} $1==\"nameserver\" {print $2}' /etc/resolv.conf)\nexport NGINX_LOCAL_RESOLVERS\n"},
	{"20-envsubst-on-templates.sh", "#!/bin/sh\n\nset -e\n\nME=$(basename \"$0\")\n\nentrypoint_log() {\n  if [ -z \"${NGINX_ENTRYPOINT_QUIET_LOGS:-}\" ]; then\n    echo \"$@\"\n  fi\n}\n\nauto_envsubst() {\n  local template_dir=\"${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}\"\n  local suffix=\"${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}\"\n  local output_dir=\"${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}\"\n\n  [ -d \"$template_dir\" ] || return 0\n  find \"$template_dir\" -follow -type f -name \"*$suffix\" -print | while read -r template; do\n    relative_path=\"${template#\"$template_dir/\"}\"\n    output_path=\"$output_dir/${relative_path%\"$suffix\"}\"\n    entrypoint_log \"$ME: Running envsubst on $template to $output_path\"\n    envsubst < \"$template\" > \"$output_path\"\n  done\n}\n\nauto_envsubst\n\nexit 0\n"},
	{"30-tune-worker-processes.sh", "#!/bin/sh\n# vim:sw=2:ts=2:sts=2:et\n\nset -eu\n\nLC_ALL=C\nME=$(basename \"$0\")\nPATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\n[ \"${NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE:-}\" ] || exit 0\n\ntouch /etc/nginx/nginx.conf 2>/dev/null || { echo >&2 \"$ME: error: can not modify /etc/nginx/nginx.conf (read-only file system?)\"; exit 0; }\n\nexit 0\n"},
}

const nginxMimeTypes = `
types {
    text/html                                        html htm shtml;
    text/css                                         css;
    text/xml                                         xml;
    image/gif                                        gif;
    image/jpeg                                       jpeg jpg;
    application/javascript                           js;
    application/atom+xml                             atom;
    application/rss+xml                              rss;

    text/plain                                       txt;
    image/png                                        png;
    image/svg+xml                                    svg svgz;
    image/webp                                       webp;
    image/x-icon                                     ico;
    application/json                                 json;
    application/pdf                                  pdf;
    application/wasm                                 wasm;
    application/zip                                  zip;
    application/octet-stream                         bin exe dll;
    font/woff                                        woff;
    font/woff2                                       woff2;
    video/mp4                                        mp4;
}
`

// nginxInstallRun is the (abbreviated) RUN that installs nginx from nginx.org packages.
const nginxInstallRun = "set -x     && groupadd --system --gid 101 nginx     && useradd --system --gid nginx --no-create-home --home /nonexistent --comment \"nginx user\" --shell /bin/false --uid 101 nginx     && apt-get update     && apt-get install --no-install-recommends --no-install-suggests -y gnupg1 ca-certificates     &&     NGINX_GPGKEYS=\"573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62 8540A6F18833A80E9C1653A42FD21310B49F6B46 9E9BE90EACBCDE69FE9B204CBCDCD8A38D88A2B3\";     NGINX_GPGKEY_PATH=/etc/apt/keyrings/nginx-archive-keyring.gpg;     export GNUPGHOME=\"$(mktemp -d)\";     found='';     for NGINX_GPGKEY in $NGINX_GPGKEYS; do     for server in         hkp://keyserver.ubuntu.com:80         pgp.mit.edu     ; do         echo \"Fetching GPG key $NGINX_GPGKEY from $server\";         gpg1 --keyserver \"$server\" --keyserver-options timeout=10 --recv-keys \"$NGINX_GPGKEY\" && found=yes && break;     done;     test -z \"$found\" && echo >&2 \"error: failed to fetch GPG key $NGINX_GPGKEY\" && exit 1;     done;     gpg1 --export \"$NGINX_GPGKEYS\" > \"$NGINX_GPGKEY_PATH\" ;     rm -rf \"$GNUPGHOME\";     apt-get remove --purge --auto-remove -y gnupg1 && rm -rf /var/lib/apt/lists/*     && dpkgArch=\"$(dpkg --print-architecture)\"     && nginxPackages=\"         nginx=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-xslt=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-geoip=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-image-filter=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-njs=${NGINX_VERSION}+${NJS_VERSION}-${NJS_RELEASE}     \"     && echo \"deb [signed-by=$NGINX_GPGKEY_PATH] https://nginx.org/packages/mainline/debian/ bookworm nginx\" >> /etc/apt/sources.list.d/nginx.list     && apt-get update     && apt-get install --no-install-recommends --no-install-suggests -y                         $nginxPackages                         gettext-base                         curl     && apt-get remove --purge --auto-remove -y && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/nginx.list     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr /var/log/nginx/error.log     && mkdir /docker-entrypoint.d"

// buildNginx is nginx:<version>[-alpine], as the official Dockerfiles build it (the
// alpine image is alpine-slim's steps followed by the njs/modules step).
func buildNginx(s spec) (*Image, error) {
	r := s.line.data.(nginxRelease)
	alpine := s.distroKind() == "alpine"
	name, base := "nginx:"+s.canonicalTag(), s.distro.slimOf().baseName()
	if alpine {
		base = s.distro.baseName()
	}
	b, err := deriveFrom(base, name, date(r.created))
	if err != nil {
		return nil, err
	}
	b.seed = name
	b.label("maintainer", "NGINX Docker Maintainers <docker-maint@nginx.com>")
	b.env("NGINX_VERSION", r.version)
	if !alpine {
		b.env("NJS_VERSION", r.njs)
		b.env("NJS_RELEASE", "1~"+s.distro.codename+"")
		b.env("PKG_RELEASE", "1~"+s.distro.codename+"")
		b.env("DYNPKG_RELEASE", "1~"+s.distro.codename+"")
	} else {
		b.env("PKG_RELEASE", "1")
		b.env("DYNPKG_RELEASE", "1")
	}

	// Layer: nginx itself, its user and its configuration.
	passwd, err1 := b.cur.ReadFile("/etc/passwd")
	group, err2 := b.cur.ReadFile("/etc/group")
	if err1 != nil || err2 != nil {
		b.fail(err1)
		b.fail(err2)
	}
	nologin := "/bin/false"
	if alpine {
		nologin = "/sbin/nologin"
	}
	if !strings.Contains(string(passwd), "\nnginx:") {
		b.file("/etc/passwd", modeFile, string(passwd)+"nginx:x:101:101:nginx user:/nonexistent:"+nologin+"\n")
		b.file("/etc/group", modeFile, string(group)+"nginx:x:101:\n")
	}
	b.file("/etc/nginx/nginx.conf", modeFile, strings.TrimPrefix(nginxConf, "\n"))
	b.file("/etc/nginx/conf.d/default.conf", modeFile, nginxDefaultConf)
	b.file("/etc/nginx/mime.types", modeFile, strings.TrimPrefix(nginxMimeTypes, "\n"))
	b.file("/etc/nginx/fastcgi_params", modeFile, "fastcgi_param  QUERY_STRING       $query_string;\nfastcgi_param  REQUEST_METHOD     $request_method;\nfastcgi_param  CONTENT_TYPE       $content_type;\nfastcgi_param  CONTENT_LENGTH     $content_length;\n")
	b.file("/etc/nginx/scgi_params", modeFile, "scgi_param  REQUEST_METHOD     $request_method;\n")
	b.file("/etc/nginx/uwsgi_params", modeFile, "uwsgi_param  QUERY_STRING       $query_string;\n")
	b.file("/usr/share/nginx/html/index.html", modeFile, nginxIndex)
	b.file("/usr/share/nginx/html/50x.html", modeFile, nginx50x)
	b.dir(modeDir, "/var/cache/nginx", "/var/log/nginx", "/docker-entrypoint.d")
	b.link("/etc/nginx/modules", "/usr/lib/nginx/modules",
		"/var/log/nginx/access.log", "/dev/stdout", "/var/log/nginx/error.log", "/dev/stderr")
	if alpine {
		b.fill(nginxAlpineSlimSize, "/usr/sbin/nginx 1500 x\n/usr/sbin/nginx-debug 1600 x\n/usr/lib/libpcre2-8.so.0.13.0 600\n/usr/bin/envsubst 40 x\n")
		b.run("set -x     && addgroup -g 101 -S nginx     && adduser -S -D -H -u 101 -h /var/cache/nginx -s /sbin/nologin -G nginx -g nginx nginx     && apkArch=\"$(cat /etc/apk/arch)\"     && nginxPackages=\"         nginx=${NGINX_VERSION}-r${PKG_RELEASE}     \"     && apk add --no-cache --virtual .checksum-deps         openssl     && case \"$apkArch\" in         x86_64|aarch64)             set -x             && KEY_SHA512=\"e09fa32f0a0eab2b879ccbbc4d0e4fb9751486eedda75e35fac65802cc9faa266425edf83e261137a2f4d16281ce2c1a5f4502930fe75154723da014214f0655\"             && wget -O /tmp/nginx_signing.rsa.pub https://nginx.org/keys/nginx_signing.rsa.pub             && if echo \"$KEY_SHA512 */tmp/nginx_signing.rsa.pub\" | sha512sum -c -; then                 echo \"key verification succeeded!\";                 mv /tmp/nginx_signing.rsa.pub /etc/apk/keys/;             else                 echo \"key verification failed!\";                 exit 1;             fi             && apk add -X \"https://nginx.org/packages/mainline/alpine/v$(egrep -o '^[0-9]+\\.[0-9]+' /etc/alpine-release)/main\" --no-cache $nginxPackages             ;;     esac     && apk del --no-network .checksum-deps     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr /var/log/nginx/error.log     && mkdir /docker-entrypoint.d")
	} else {
		b.fill(nginxDebianSize, `
/usr/sbin/nginx 1400 x
/usr/sbin/nginx-debug 1500 x
/usr/lib/nginx/modules/ngx_http_js_module.so 1800
/usr/lib/nginx/modules/ngx_stream_js_module.so 1700
/usr/lib/nginx/modules/ngx_http_image_filter_module.so 30
/usr/lib/nginx/modules/ngx_http_xslt_filter_module.so 30
/usr/lib/nginx/modules/ngx_http_geoip_module.so 30
/usr/bin/njs 1900 x
/usr/bin/curl 270 x
/usr/bin/envsubst 40 x
/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0 720
/usr/lib/x86_64-linux-gnu/libssl.so.3 692
/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4604
/usr/lib/x86_64-linux-gnu/libxml2.so.2.9.14 2000
/usr/lib/x86_64-linux-gnu/libxslt.so.1.1.35 260
/usr/lib/x86_64-linux-gnu/libgd.so.3.0.11 400
/usr/lib/x86_64-linux-gnu/libicudata.so.72.1 30700
/usr/lib/x86_64-linux-gnu/libicuuc.so.72.1 2100
/usr/lib/x86_64-linux-gnu/libicui18n.so.72.1 3400
/usr/lib/x86_64-linux-gnu/libtiff.so.6.0.0 560
/usr/lib/x86_64-linux-gnu/libwebp.so.7.1.5 320
/usr/lib/x86_64-linux-gnu/libfreetype.so.6.18.3 800
/usr/lib/x86_64-linux-gnu/libfontconfig.so.1.12.0 300
/usr/lib/x86_64-linux-gnu/libX11.so.6.4.0 1300
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf 740
/usr/share/GeoIP/GeoIP.dat 1800
/usr/share/GeoIP/GeoIPv6.dat 5300
/usr/share/mime/packages/freedesktop.org.xml 2700
/etc/ssl/certs/ca-certificates.crt 214
`)
		b.run(nginxInstallRun)
	}
	b.file("/docker-entrypoint.sh", modeExec, nginxEntrypoint)
	b.copyIn("file", "/")
	for _, s := range nginxScripts {
		b.file("/docker-entrypoint.d/"+s.name, modeExec, s.text)
		b.copyIn("file", "/docker-entrypoint.d")
	}
	b.entrypoint("/docker-entrypoint.sh")
	b.expose("80/tcp")
	b.stopSignal("SIGQUIT")
	b.cmd("nginx", "-g", "daemon off;")
	if alpine && s.flavor != "slim" {
		b.env("NJS_VERSION", r.njs)
		b.env("NJS_RELEASE", "1")
		b.fill(nginxAlpineSize, `
/usr/lib/nginx/modules/ngx_http_js_module.so 1800
/usr/lib/nginx/modules/ngx_stream_js_module.so 1700
/usr/lib/nginx/modules/ngx_http_image_filter_module.so 30
/usr/lib/nginx/modules/ngx_http_xslt_filter_module.so 30
/usr/lib/nginx/modules/ngx_http_geoip_module.so 30
/usr/bin/njs 1900 x
/usr/bin/curl 250 x
/usr/lib/libcurl.so.4.8.0 700
/usr/lib/libxml2.so.2.13.4 1400
/usr/lib/libxslt.so.1.1.39 250
/usr/lib/libgd.so.3.0.11 400
/usr/lib/libavif.so.16.1.1 200
/usr/lib/libaom.so.3.11.0 6200
/usr/lib/libdav1d.so.7.0.0 1600
/usr/lib/libx265.so.199 16000
/usr/lib/libde265.so.0.1.8 700
/usr/lib/libheif.so.1.19.5 900
/usr/lib/libtiff.so.6.0.2 500
/usr/lib/libwebp.so.7.1.10 400
/usr/lib/libfreetype.so.6.20.2 700
/usr/lib/libfontconfig.so.1.14.0 300
/usr/lib/libX11.so.6.4.0 1200
/usr/share/GeoIP/GeoIP.dat 1800
`)
		b.run("set -x     && apkArch=\"$(cat /etc/apk/arch)\"     && nginxPackages=\"         nginx=${NGINX_VERSION}-r${PKG_RELEASE}         nginx-module-xslt=${NGINX_VERSION}-r${DYNPKG_RELEASE}         nginx-module-geoip=${NGINX_VERSION}-r${DYNPKG_RELEASE}         nginx-module-image-filter=${NGINX_VERSION}-r${DYNPKG_RELEASE}         nginx-module-njs=${NGINX_VERSION}.${NJS_VERSION}-r${NJS_RELEASE}     \"     && apk add --no-cache --virtual .checksum-deps         openssl     && apk add -X \"https://nginx.org/packages/mainline/alpine/v$(egrep -o '^[0-9]+\\.[0-9]+' /etc/alpine-release)/main\" --no-cache $nginxPackages     && apk del --no-network .checksum-deps     && apk add --no-cache curl ca-certificates")
	}
	return b.done()
}
