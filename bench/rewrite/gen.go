package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// gen writes a dump shaped like mysqldump --opt output of a WordPress site: CREATE
// TABLE statements, then extended INSERTs of about 1 MiB each, with posts full of
// block markup and links, serialized options and post meta (widgets, theme mods,
// attachment metadata, nested serialized values) and Elementor JSON with escaped
// slashes. The random source is seeded, so every run writes the same bytes.
func gen(out string, size int64) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rnd := rand.New(rand.NewPCG(1, 2))
	w.WriteString("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: wordpress\n\n")
	w.WriteString("/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n\n")
	tables := []struct{ name, create string }{
		{"wp_options", "CREATE TABLE `wp_options` (\n  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `option_name` varchar(191) NOT NULL DEFAULT '',\n  `option_value` longtext NOT NULL,\n  `autoload` varchar(20) NOT NULL DEFAULT 'yes',\n  PRIMARY KEY (`option_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"},
		{"wp_posts", "CREATE TABLE `wp_posts` (\n  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `post_author` bigint(20) unsigned NOT NULL DEFAULT 0,\n  `post_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',\n  `post_content` longtext NOT NULL,\n  `post_title` text NOT NULL,\n  `post_status` varchar(20) NOT NULL DEFAULT 'publish',\n  `post_name` varchar(200) NOT NULL DEFAULT '',\n  `guid` varchar(255) NOT NULL DEFAULT '',\n  `post_type` varchar(20) NOT NULL DEFAULT 'post',\n  PRIMARY KEY (`ID`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"},
		{"wp_postmeta", "CREATE TABLE `wp_postmeta` (\n  `meta_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `post_id` bigint(20) unsigned NOT NULL DEFAULT 0,\n  `meta_key` varchar(255) DEFAULT NULL,\n  `meta_value` longtext DEFAULT NULL,\n  PRIMARY KEY (`meta_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"},
		{"wp_comments", "CREATE TABLE `wp_comments` (\n  `comment_ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `comment_post_ID` bigint(20) unsigned NOT NULL DEFAULT 0,\n  `comment_author` tinytext NOT NULL,\n  `comment_author_url` varchar(200) NOT NULL DEFAULT '',\n  `comment_content` text NOT NULL,\n  PRIMARY KEY (`comment_ID`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"},
	}
	for _, t := range tables {
		fmt.Fprintf(w, "DROP TABLE IF EXISTS `%s`;\n%s\n", t.name, t.create)
	}
	var written int64
	id := 0
	row := make([]string, 0, 8)
	for written < size {
		// Rotate tables so every kind of value appears throughout the file.
		for ti, t := range tables {
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO `%s` VALUES ", t.name)
			first := true
			for b.Len() < 1<<20 {
				id++
				row = row[:0]
				switch ti {
				case 0:
					row = append(row, strconv.Itoa(id), q(fmt.Sprintf("option_%d", id)), q(optionValue(rnd, id)), q("yes"))
				case 1:
					row = append(row, strconv.Itoa(id), "1", q("2023-05-01 10:00:00"), q(postContent(rnd, id)),
						q(fmt.Sprintf("Post %d — café ☕", id)), q("publish"), q(fmt.Sprintf("post-%d", id)),
						q(fmt.Sprintf("%s/?p=%d", oldURL, id)), q("post"))
				case 2:
					key, val := metaValue(rnd, id)
					row = append(row, strconv.Itoa(id), strconv.Itoa(id/3), q(key), q(val))
				case 3:
					row = append(row, strconv.Itoa(id), strconv.Itoa(id/7), q("Reader "+strconv.Itoa(id)), q(""),
						q("Thanks for this article!\nIt's \"great\" and helped me a lot. No links here."))
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				b.WriteByte('(')
				b.WriteString(strings.Join(row, ","))
				b.WriteByte(')')
			}
			b.WriteString(";\n")
			n, err := w.WriteString(b.String())
			if err != nil {
				return err
			}
			written += int64(n)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// q quotes a value the way mysqldump does (mysql_real_escape_string).
func q(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// ser serializes a string the way PHP does (length in bytes).
func ser(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

func postContent(rnd *rand.Rand, id int) string {
	var b strings.Builder
	paragraphs := 3 + rnd.IntN(6)
	for p := range paragraphs {
		switch rnd.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "<!-- wp:image {\"id\":%d,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\"><img src=\"%s/wp-content/uploads/2023/05/photo-%d-%d.jpg\" alt=\"\" class=\"wp-image-%d\"/></figure>\n<!-- /wp:image -->\n\n", id, oldURL, id, p, id)
		case 1:
			fmt.Fprintf(&b, "<!-- wp:paragraph -->\n<p>Read <a href=\"%s/2023/05/post-%d/\">the previous post</a> or visit <a href=\"https://bold.test/\">our partner</a>. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>\n<!-- /wp:paragraph -->\n\n", oldURL, id-1)
		default:
			b.WriteString("<!-- wp:paragraph -->\n<p>Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Ça va très bien — naïve façade 😀.</p>\n<!-- /wp:paragraph -->\n\n")
		}
	}
	return b.String()
}

func optionValue(rnd *rand.Rand, id int) string {
	switch rnd.IntN(4) {
	case 0: // widget_text
		text := fmt.Sprintf("<a href=\"%s/about/\">About us</a> — café ☕ %d", oldURL, id)
		return fmt.Sprintf("a:2:{i:2;a:4:{s:5:\"title\";s:5:\"About\";s:4:\"text\";%ss:6:\"filter\";b:1;s:6:\"visual\";b:1;}s:12:\"_multiwidget\";i:1;}", ser(text))
	case 1: // theme mods with an object
		img := fmt.Sprintf("%s/wp-content/uploads/2022/01/header-%d.jpg", oldURL, id)
		return fmt.Sprintf("a:4:{i:0;b:0;s:18:\"nav_menu_locations\";a:1:{s:7:\"primary\";i:3;}s:12:\"header_image\";%ss:17:\"header_image_data\";O:8:\"stdClass\":2:{s:3:\"url\";%ss:5:\"width\";i:1200;}}", ser(img), ser(img))
	case 2: // serialized inside serialized
		inner := fmt.Sprintf("a:1:{s:4:\"logo\";%s}", ser(fmt.Sprintf("%s/wp-content/uploads/logo-%d.svg", oldURL, id)))
		return fmt.Sprintf("a:2:{s:7:\"version\";s:3:\"2.1\";s:5:\"cache\";%s}", ser(inner))
	default: // settings without URLs
		return fmt.Sprintf("a:3:{s:12:\"product_base\";s:7:\"product\";s:13:\"category_base\";s:16:\"product-category\";s:5:\"count\";i:%d;}", id)
	}
}

func metaValue(rnd *rand.Rand, id int) (string, string) {
	switch rnd.IntN(4) {
	case 0:
		file := fmt.Sprintf("2023/05/photo-%d.jpg", id)
		return "_wp_attachment_metadata", fmt.Sprintf("a:5:{s:5:\"width\";i:1920;s:6:\"height\";i:1080;s:4:\"file\";%ss:5:\"sizes\";a:2:{s:9:\"thumbnail\";a:4:{s:4:\"file\";%ss:5:\"width\";i:150;s:6:\"height\";i:150;s:9:\"mime-type\";s:10:\"image/jpeg\";}s:6:\"medium\";a:4:{s:4:\"file\";%ss:5:\"width\";i:300;s:6:\"height\";i:169;s:9:\"mime-type\";s:10:\"image/jpeg\";}}s:10:\"image_meta\";a:2:{s:8:\"aperture\";s:1:\"0\";s:6:\"credit\";s:0:\"\";}}",
			ser(file), ser(fmt.Sprintf("photo-%d-150x150.jpg", id)), ser(fmt.Sprintf("photo-%d-300x169.jpg", id)))
	case 1:
		u := strings.ReplaceAll(oldURL, "/", `\/`)
		return "_elementor_data", fmt.Sprintf(`[{"id":"a%d","elType":"section","settings":{"background_image":{"url":"%s\/wp-content\/uploads\/2021\/hero-%d.jpg","id":55}},"elements":[{"id":"b%d","elType":"widget","widgetType":"button","settings":{"text":"R\u00e9servez","link":{"url":"%s\/contact\/","is_external":""}}}]}]`, id, u, id, id, u)
	case 2:
		return "_thumbnail_id", strconv.Itoa(id + 7)
	default:
		return "_elementor_page_settings", fmt.Sprintf("a:1:{s:16:\"background_image\";a:2:{s:3:\"url\";%ss:2:\"id\";i:%d;}}", ser(fmt.Sprintf("%s/wp-content/uploads/bg-%d.jpg", oldURL, id)), id)
	}
}
