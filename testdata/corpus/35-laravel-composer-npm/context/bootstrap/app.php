<?php
$app = new Illuminate\Foundation\Application(dirname(__DIR__));
return $app;
