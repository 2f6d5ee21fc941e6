<?php
namespace App;

class Post {}
