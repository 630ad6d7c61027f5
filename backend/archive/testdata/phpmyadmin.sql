-- phpMyAdmin SQL Dump
-- version 5.2.1
-- https://www.phpmyadmin.net/
--
-- Host: 127.0.0.1
-- Server version: 10.4.28-MariaDB

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";

/*!40101 SET NAMES utf8mb4 */;

CREATE TABLE `blog_2_options` (
  `option_id` bigint(20) UNSIGNED NOT NULL,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO `blog_2_options` (`option_id`, `option_name`, `option_value`, `autoload`) VALUES
(1, 'siteurl', 'http://sub.old.test', 'yes');

CREATE TABLE `blog_options` (
  `option_id` bigint(20) UNSIGNED NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes',
  `option_value` longtext NOT NULL,
  `option_name` varchar(191) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO `blog_options` (`option_id`, `option_value`, `option_name`, `autoload`) VALUES
(1, 'http://old.test', 'siteurl', 'yes'),
(2, 'http://old.test', 'home', 'yes'),
(3, '49752', 'db_version', 'yes');

CREATE TABLE `blog_posts` (
  `ID` bigint(20) UNSIGNED NOT NULL,
  `post_content` longtext NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO `blog_posts` (`ID`, `post_content`) VALUES
(1, 'Hello ''world'''),
(2, 'x');
COMMIT;
