import 'reflect-metadata';
console.log('tasks');
