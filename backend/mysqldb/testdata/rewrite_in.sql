/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19
/*!40101 SET NAMES utf8mb4 */;
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  PRIMARY KEY (`option_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='http://old.test stays in DDL';
-- http://old.test in a comment stays
INSERT INTO `wp_options` VALUES (1,'siteurl','http://old.test'),(2,'home','http://old.test'),(3,'blogname','It\'s http://old.test\\path'),
(4,'widget','a:1:{s:3:\"url\";s:15:\"http://old.test\";}'),(5,'json','{\"u\":\"http:\\/\\/old.test\\/x\"}'),(6,'none','nothing'),(7,'bin',0x687474703a2f2f6f6c642e74657374),(8,'dq',"http://old.test ""quoted""");
INSERT INTO wp_posts (ID, post_content, guid) VALUES (1,'<a href=\"http://old.test/a\">x</a>\n','http://old.test/?p=1') ON DUPLICATE KEY UPDATE guid='http://old.test/keep';
DELIMITER ;;
CREATE TRIGGER t BEFORE INSERT ON wp_options FOR EACH ROW SET NEW.option_value = 'http://old.test';;
DELIMITER ;
-- Dump completed
