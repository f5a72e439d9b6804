<?php
/*
 * Installs and populates the test WordPress site through WordPress's own API (there is no
 * wp-cli in Debian): `php wordpress.php install|populate SPEC.json`. The spec (posts, users,
 * comments, their times) is written by tests/sites/wordpress.py; this script only hands it to
 * wp_install / wp_insert_user / wp_insert_post / wp_insert_comment and prints, as JSON, what
 * WordPress made of it (ids and permalinks).
 */
$mode = $argv[1];
$spec = json_decode(file_get_contents($argv[2]), true);
// Debian's wp-config.php picks /etc/wordpress/config-NAME.php from this (Apache's SetEnv).
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$_SERVER['HTTP_HOST'] = $spec['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_NAME'] = '127.0.0.1';

if ($mode === 'install') {
    define('WP_INSTALLING', true);
    require '/usr/share/wordpress/wp-load.php';
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    $result = wp_install($spec['title'], 'admin', 'admin@example.invalid', true, '', 'admin-password-' . $spec['host']);
    echo json_encode(['user_id' => $result['user_id']]), "\n";
    exit(0);
}

require '/usr/share/wordpress/wp-load.php';
global $wpdb;

foreach ($spec['options'] as $name => $value) {
    update_option($name, $value);
}
global $wp_rewrite;
$wp_rewrite->init();  // the new permalink structure (and its trailing slash) for get_permalink() below
switch_theme($spec['theme']);
// The installer's sample content is not part of the site.
wp_delete_post(1, true);
wp_delete_post(2, true);
wp_delete_post(3, true);
$wpdb->query("DELETE FROM {$wpdb->comments}");

$users = [];
foreach ($spec['authors'] as $a) {
    $users[$a['login']] = wp_insert_user([
        'user_login' => $a['login'], 'user_pass' => 'pw-' . $a['login'], 'user_email' => $a['login'] . '@example.invalid',
        'display_name' => $a['name'], 'nickname' => $a['name'], 'first_name' => $a['first'], 'last_name' => $a['last'],
        'role' => 'author',
    ]);
}
$terms = [];
foreach ($spec['categories'] as $c) {
    $terms[$c] = wp_insert_term($c, 'category')['term_id'];
}

$out = ['posts' => [], 'attachments' => [], 'comments' => []];
foreach ($spec['posts'] as $p) {
    $args = [
        'post_title' => $p['title'], 'post_name' => $p['slug'], 'post_content' => $p['content'],
        'post_excerpt' => $p['excerpt'] ?? '',
        'post_status' => $p['status'], 'post_type' => $p['type'], 'post_author' => $users[$p['author']],
        'post_password' => $p['password'] ?? '', 'comment_status' => 'open', 'ping_status' => 'closed',
    ];
    if (!empty($p['date'])) {
        $args['post_date'] = $p['date'];  // local time; WordPress derives post_date_gmt from the site's zone
        if ($p['status'] !== 'draft') {
            $args['post_date_gmt'] = get_gmt_from_date($p['date']);
        }
    }
    if ($p['type'] === 'post') {
        $args['post_category'] = array_map(fn($c) => $terms[$c], $p['categories']);
        $args['tags_input'] = $p['tags'];
    }
    $id = wp_insert_post($args, true);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    $content = $p['content'];
    if (!empty($p['attachment'])) {
        $att = wp_insert_attachment([
            'post_title' => $p['attachment']['title'], 'post_name' => $p['attachment']['slug'],
            'post_content' => $p['attachment']['caption'], 'post_excerpt' => $p['attachment']['caption'],
            'post_mime_type' => 'image/jpeg', 'post_status' => 'inherit', 'post_author' => $users[$p['author']],
            'post_date' => $p['date'], 'guid' => home_url('/wp-content/uploads/' . $p['attachment']['slug'] . '.jpg'),
        ], false, $id);
        $link = get_attachment_link($att);
        $content .= "\n\n<!-- wp:paragraph -->\n<p>The photograph is on <a href=\"$link\">its own page</a>.</p>\n<!-- /wp:paragraph -->";
        $out['attachments'][] = ['id' => $att, 'url' => $link];
    }
    if (!empty($p['links'])) {  // links to archives the theme itself does not show, as sites do in the text
        $items = '';
        foreach ($p['links'] as $l) {
            $href = match ($l['kind']) {
                'year' => get_year_link($l['y']), 'month' => get_month_link($l['y'], $l['m']),
                'day' => get_day_link($l['y'], $l['m'], $l['d']), 'author' => get_author_posts_url($users[$l['login']]),
                'search' => home_url('/?s=' . urlencode($l['q'])), 'home_page' => home_url('/page/2/'),
            };
            $items .= "<li><a href=\"$href\">" . esc_html($l['text']) . "</a></li>";
        }
        $content .= "\n\n<!-- wp:list -->\n<ul>$items</ul>\n<!-- /wp:list -->";
    }
    $update = ['post_content' => $content];
    if (!empty($p['modified'])) {
        $update['post_modified'] = $p['modified'];
        $update['post_modified_gmt'] = get_gmt_from_date($p['modified']);
    } elseif (!empty($p['date'])) {
        $update['post_modified'] = $p['date'];
        $update['post_modified_gmt'] = get_gmt_from_date($p['date']);
    }
    // Direct, as wp_update_post would stamp the modification time with the clock.
    $wpdb->update($wpdb->posts, $update, ['ID' => $id]);
    clean_post_cache($id);

    $made = [];
    foreach ($p['comments'] ?? [] as $c) {
        $cid = wp_insert_comment([
            'comment_post_ID' => $id, 'comment_author' => $c['author'], 'comment_author_email' => $c['email'],
            'comment_author_url' => $c['url'] ?? '', 'comment_content' => $c['text'], 'comment_date' => $c['date'],
            'comment_date_gmt' => get_gmt_from_date($c['date']), 'comment_approved' => $c['status'],
            'comment_parent' => $c['parent'] === null ? 0 : $made[$c['parent']], 'user_id' => 0,
            'comment_agent' => 'newsdesk-test', 'comment_author_IP' => '127.0.0.1',
        ]);
        $made[$c['key']] = $cid;
        $out['comments'][] = ['key' => $c['key'], 'id' => $cid, 'post' => $id];
    }
    wp_update_comment_count_now($id);
    $out['posts'][] = ['slug' => $p['slug'], 'id' => $id, 'url' => get_permalink($id)];
}
flush_rewrite_rules(false);
echo json_encode($out), "\n";
